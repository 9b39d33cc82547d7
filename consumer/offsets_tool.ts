/**
 * `deno task offsets -- --group G --topic T (--to-earliest | --to-latest | --to-time ISO | --shift N) [--dry-run]`
 *
 * Moves a stopped group's committed offsets, printing per partition the old committed offset, the new one
 * and the log range. Refuses while the group has members: a running consumer would overwrite the reset with
 * its next commit. Reads only with fetchOffsets (never `resolveOffsets: true`, which writes offsets).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Kafka } from "kafkajs";
import {
  formatPlan,
  parseTime,
  type PartitionState,
  planReset,
  type ResetTarget,
} from "./core/offsets_plan.ts";

/** Where the tool writes; injectable for tests. */
export interface ToolIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Exit codes: 0 done, 1 refused or failed, 64 usage (EX_USAGE). */
export const USAGE_EXIT_CODE = 64;

const USAGE =
  "usage: deno task offsets -- --group G --topic T [--topic T2] (--to-earliest | --to-latest | --to-time ISO | --shift N) [--dry-run]";

/** Parsed command line. */
export interface OffsetsArgs {
  readonly group: string;
  readonly topics: readonly string[];
  readonly target: ResetTarget;
  readonly dryRun: boolean;
}

// parseArgs would read "-3" in `--shift -3` as an option; `--shift=-3` is unambiguous.
function joinNegativeShift(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--shift" && /^-\d+$/.test(argv[i + 1] ?? "")) out.push(`--shift=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** Parses argv; returns a message on misuse. */
export function parseOffsetsArgs(argv: readonly string[]): OffsetsArgs | { readonly error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegativeShift(argv[0] === "--" ? argv.slice(1) : argv),
      options: {
        group: { type: "string" },
        topic: { type: "string", multiple: true },
        "to-earliest": { type: "boolean" },
        "to-latest": { type: "boolean" },
        "to-time": { type: "string" },
        shift: { type: "string" },
        "dry-run": { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const problems: string[] = [];
  if (!values.group) problems.push("--group is required");
  if (!values.topic?.length) problems.push("--topic is required");
  const targets: ResetTarget[] = [];
  if (values["to-earliest"]) targets.push({ kind: "earliest" });
  if (values["to-latest"]) targets.push({ kind: "latest" });
  if (values["to-time"] !== undefined) {
    const ms = parseTime(values["to-time"]);
    if (ms === undefined) {
      problems.push("--to-time must be ISO 8601 with a zone (2024-05-01T12:00:00Z) or epoch ms");
    } else targets.push({ kind: "time", epochMs: ms });
  }
  if (values.shift !== undefined) {
    if (!/^[+-]?\d+$/.test(values.shift)) problems.push("--shift must be an integer, e.g. -100 or 50");
    else targets.push({ kind: "shift", by: BigInt(values.shift) });
  }
  if (targets.length !== 1 && !problems.some((p) => p.startsWith("--to-time") || p.startsWith("--shift"))) {
    problems.push("exactly one of --to-earliest, --to-latest, --to-time, --shift is required");
  }
  if (problems.length > 0) return { error: problems.join("; ") };
  return {
    group: values.group!,
    topics: values.topic!,
    target: targets[0],
    dryRun: values["dry-run"] ?? false,
  };
}

// A group with members (or mid-rebalance) would commit over the reset.
const STOPPED_STATES = new Set(["Empty", "Dead"]);

/** Runs the tool against `kafka`; returns the exit code. */
export async function runOffsets(argv: readonly string[], kafka: Kafka, io: ToolIo): Promise<number> {
  const args = parseOffsetsArgs(argv);
  if ("error" in args) {
    io.err(`${args.error}\n${USAGE}`);
    return USAGE_EXIT_CODE;
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([args.group]);
    const group = groups[0];
    const running = group !== undefined && (group.members.length > 0 || !STOPPED_STATES.has(group.state));
    const existingTopics = new Set(await admin.listTopics());
    const missing = args.topics.filter((t) => !existingTopics.has(t));
    if (missing.length > 0) {
      io.err(`no such topic: ${missing.join(", ")}`);
      return 1;
    }
    const plans = [];
    for (const topic of args.topics) {
      const logRange = await admin.fetchTopicOffsets(topic);
      const committed = (await admin.fetchOffsets({ groupId: args.group, topics: [topic] }))[0]?.partitions ??
        [];
      const atTime = args.target.kind === "time"
        ? await admin.fetchTopicOffsetsByTimestamp(topic, args.target.epochMs)
        : [];
      const states: PartitionState[] = logRange
        .map((p) => {
          const c = committed.find((x) => x.partition === p.partition)?.offset;
          const t = atTime.find((x) => x.partition === p.partition)?.offset;
          return {
            partition: p.partition,
            committed: c === undefined || Number(c) < 0 ? undefined : BigInt(c),
            low: BigInt(p.low),
            high: BigInt(p.high),
            atTime: t === undefined || Number(t) < 0 ? undefined : BigInt(t),
          };
        })
        .sort((a, b) => a.partition - b.partition);
      const plan = planReset(args.target, states);
      plans.push({ topic, plan });
      io.out(formatPlan(topic, plan));
    }
    if (args.dryRun) {
      io.out(`dry run: group ${args.group} unchanged`);
      if (running) {
        io.out(
          `note: group is ${group.state} with ${group.members.length} member(s); a real reset would be refused`,
        );
      }
      return 0;
    }
    if (running) {
      const who = group.members.map((m) => `${m.clientId}@${m.clientHost}`).join(", ");
      io.err(
        `refusing: group ${args.group} is ${group.state} with ${group.members.length} member(s)` +
          `${who ? ` (${who})` : ""}; stop its workers first`,
      );
      return 1;
    }
    for (const { topic, plan } of plans) {
      const partitions = plan.filter((p) => p.next !== undefined).map((p) => ({
        partition: p.partition,
        offset: String(p.next),
      }));
      if (partitions.length > 0) await admin.setOffsets({ groupId: args.group, topic, partitions });
      const after = (await admin.fetchOffsets({ groupId: args.group, topics: [topic] }))[0]?.partitions ?? [];
      const wrong = partitions.filter((p) =>
        after.find((a) => a.partition === p.partition)?.offset !== p.offset
      );
      if (wrong.length > 0) {
        io.err(
          `offsets of ${topic} partitions ${wrong.map((w) => w.partition).join(", ")} did not take effect`,
        );
        return 1;
      }
    }
    io.out(`group ${args.group} reset`);
    return 0;
  } finally {
    await admin.disconnect();
  }
}
