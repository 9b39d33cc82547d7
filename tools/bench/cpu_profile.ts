/**
 * Summarises a V8 .cpuprofile (from `deno run --cpu-prof`, e.g. `deno task bench:producer --cpu-prof DIR`):
 * self time by source (npm package, repository file, runtime) and the hottest functions, so "where does
 * the time go" has an answer without opening DevTools.
 *
 *   deno run -A tools/bench/cpu_profile.ts DIR/CPU.*.cpuprofile [--top 25] [--callers FastBuffer --depth 2]
 */
import { parseArgs } from "node:util";
import { fmt, formatTable } from "./report.ts";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

/** The parts of the .cpuprofile format this reads. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one key, in ms and as a share of all samples. */
export interface Share {
  readonly key: string;
  readonly ms: number;
  readonly percent: number;
}

/** Where a frame's code comes from: an npm package, a file of this repository, or the runtime. */
export function sourceOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const npm = url.match(/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:")) return `deno:${url.slice(4).split("/")[0]}`;
  const repo = url.match(/\/(producer|consumer|lib|tools)\/(.+)$/);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url.replace(/^file:\/\//, "");
}

function frameKey(frame: CallFrame): string {
  return `${frame.functionName || "(anonymous)"} ${sourceOf(frame)}:${frame.lineNumber + 1}`;
}

/**
 * Who calls `name`: the self time of every function whose name starts with `name`, attributed to the
 * chain of `depth` callers above it (helpers like Buffer constructors only make sense with their caller).
 */
export function callersOf(profile: CpuProfile, name: string, depth = 2): Share[] {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    total += dt;
    const frame = byId.get(id)?.callFrame;
    if (!frame || !frame.functionName.startsWith(name)) return;
    const chain: string[] = [];
    for (let p = parent.get(id); p !== undefined && chain.length < depth; p = parent.get(p)) {
      chain.push(frameKey(byId.get(p)!.callFrame));
    }
    const key = chain.join(" ← ") || "(root)";
    out.set(key, (out.get(key) ?? 0) + dt);
  });
  return [...out].map(([key, us]) => ({ key, ms: us / 1000, percent: us / total * 100 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Self time per source and per function. */
export function summarise(profile: CpuProfile): { total: number; sources: Share[]; functions: Share[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time since the previous sample; it belongs to the sample it precedes.
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const sources = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const source = sourceOf(frame);
    sources.set(source, (sources.get(source) ?? 0) + us);
    const fn = frameKey(frame);
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const shares = (m: Map<string, number>) =>
    [...m].map(([key, us]) => ({ key, ms: us / 1000, percent: us / total * 100 })).sort((a, b) =>
      b.ms - a.ms
    );
  return { total: total / 1000, sources: shares(sources), functions: shares(functions) };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      top: { type: "string", default: "25" },
      callers: { type: "string" },
      depth: { type: "string", default: "2" },
    },
  });
  if (positionals.length !== 1) {
    console.error("usage: cpu_profile.ts FILE.cpuprofile [--top N] [--callers FUNCTION [--depth N]]");
    Deno.exit(2);
  }
  const profile: CpuProfile = JSON.parse(await Deno.readTextFile(positionals[0]));
  const summary = summarise(profile);
  const top = Number(values.top);
  const table = (rows: Share[]) =>
    formatTable<Share>([
      { title: "self %", value: (s) => fmt(s.percent, 1) },
      { title: "self ms", value: (s) => fmt(s.ms) },
      { title: "where", value: (s) => s.key, align: "left" },
    ], rows.slice(0, top));
  console.log(`profile: ${fmt(summary.total)} ms sampled\n\nby source\n${table(summary.sources)}`);
  console.log(`\nby function\n${table(summary.functions)}`);
  if (values.callers) {
    const rows = callersOf(profile, values.callers, Number(values.depth));
    console.log(`\nself time of ${values.callers}* by caller\n${table(rows)}`);
  }
}
