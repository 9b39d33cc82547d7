/**
 * Pieces of the consumer benchmark (tools/bench/consumer.ts): filling the topic with CloudEvents shaped as
 * the gateway writes them, reading a group's committed offsets, spawning Deno subprocesses tied to our
 * lifetime, and the CPU time of whole process groups (broker, PostgreSQL's backends, OpenSearch's JVM)
 * found among our own descendants.
 */
import { Kafka, logLevel } from "kafkajs";
import { type Envelope, silenceKafkajsTimerWarning, toKafkajsMessage, toKafkaRecord } from "@kafka-edge/lib";
import { tiedCommand } from "@kafka-edge/lib/testing";
import { processCpuSeconds } from "./report.ts";

/** A ~`bytes`-byte JSON payload, a page-view style analytics event with `user` and `action` fields. */
export function eventData(i: number, bytes: number): Record<string, unknown> {
  const base = {
    user: `u-${(100000 + (i % 50_000)).toString(36)}`,
    action: "page_view",
    session: `s-${(i * 2654435761 % 4294967296).toString(16).padStart(8, "0")}`,
    path: `/products/${i % 997}/reviews`,
    referrer: "https://example.com/search?q=kafka",
    seq: i,
    pad: "",
  };
  const missing = bytes - JSON.stringify(base).length;
  return { ...base, pad: "x".repeat(Math.max(0, missing)) };
}

/** The envelope of event `i`: a unique id (PostgreSQL's key), binary-mode CloudEvent like the gateway's. */
export function benchEnvelope(i: number, bytes: number, time: string): Envelope {
  const data = eventData(i, bytes);
  return {
    id: `bench-${i.toString(36)}-${crypto.randomUUID().slice(0, 8)}`,
    source: "/bench/consumer",
    type: "com.example.page_view",
    specversion: "1.0",
    time,
    datacontenttype: "application/json",
    data,
    key: data.user as string,
  };
}

/** Creates `topic` and writes `count` events round-robin over its partitions; resolves with the total. */
export async function fillTopic(opts: {
  readonly bootstrap: string;
  readonly topic: string;
  readonly partitions: number;
  readonly count: number;
  readonly eventBytes: number;
  readonly onProgress?: (written: number) => void;
}): Promise<number> {
  silenceKafkajsTimerWarning();
  const kafka = new Kafka({
    brokers: [opts.bootstrap],
    clientId: "kafka-edge-bench-fill",
    logLevel: logLevel.ERROR,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: opts.topic, numPartitions: opts.partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const perPartition = 500;
  const chunk = perPartition * opts.partitions;
  const time = new Date().toISOString();
  const template = toKafkaRecord(benchEnvelope(0, opts.eventBytes, time));
  let next = 0;
  let written = 0;
  try {
    // Four loops of one sendBatch each (all partitions, 500 records apiece); bounded by `count`.
    const loop = async () => {
      while (next < opts.count) {
        const from = next;
        const to = Math.min(opts.count, from + chunk);
        next = to;
        const byPartition = new Map<number, ReturnType<typeof toKafkajsMessage>[]>();
        for (let i = from; i < to; i++) {
          const partition = i % opts.partitions;
          // toKafkaRecord validates every envelope, which made the fill the slowest step: encode one and
          // vary only what differs per event (id, key, data).
          const envelope = benchEnvelope(i, opts.eventBytes, time);
          const message = toKafkajsMessage({
            key: envelope.key!,
            value: JSON.stringify(envelope.data),
            headers: { ...template.headers, ce_id: envelope.id },
            partition,
          });
          const list = byPartition.get(partition) ?? [];
          list.push(message);
          byPartition.set(partition, list);
        }
        await producer.sendBatch({
          topicMessages: [{ topic: opts.topic, messages: [...byPartition.values()].flat() }],
        });
        written += to - from;
        opts.onProgress?.(written);
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
  } finally {
    await producer.disconnect();
  }
  return written;
}

/** Reads committed offsets of consumer groups, and the topic's end offsets. */
export interface OffsetReader {
  /** Sum of the group's committed offsets over the topic's partitions (0 where none). */
  committed(group: string): Promise<number>;
  /** Sum of the partitions' high watermarks minus their low watermarks: the records in the topic. */
  records(): Promise<number>;
  close(): Promise<void>;
}

/** Connects an admin client; `fetchOffsets` is called WITHOUT resolveOffsets, so it only reads. */
export async function offsetReader(bootstrap: string, topic: string): Promise<OffsetReader> {
  silenceKafkajsTimerWarning();
  const admin = new Kafka({
    brokers: [bootstrap],
    clientId: "kafka-edge-bench-offsets",
    logLevel: logLevel.NOTHING,
  })
    .admin();
  await admin.connect();
  return {
    async committed(group) {
      const answer = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      let sum = 0;
      for (const t of answer) for (const p of t.partitions) sum += Math.max(0, Number(p.offset));
      return sum;
    },
    async records() {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    },
    close: () => admin.disconnect(),
  };
}

/** A Deno subprocess started by {@link spawnDeno}. */
export interface Child {
  readonly pid: number;
  /** Set once it exited. */
  exited(): Deno.CommandStatus | undefined;
  /** The last lines it wrote to stderr. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs: number): Promise<Deno.CommandStatus>;
}

/**
 * Runs `deno run -A script` tied to our lifetime (`tiedCommand`: `pid` is Deno's own), stdout to /dev/null,
 * stderr kept as a tail for error messages.
 */
export function spawnDeno(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  denoFlags: readonly string[] = [],
): Child {
  const child = tiedCommand(Deno.execPath(), ["run", "-A", "--quiet", ...denoFlags, script, ...args], {
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let tail = "";
  const decoder = new TextDecoder();
  const drained = (async () => {
    for await (const chunk of child.stderr) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8000);
    }
  })().catch(() => {});
  let status: Deno.CommandStatus | undefined;
  const done = child.status.then(async (s) => {
    await drained;
    status = s;
    return s;
  });
  const signal = (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch {
      // Already exited.
    }
  };
  return {
    pid: child.pid,
    exited: () => status,
    stderrTail: () => tail,
    async stop(graceMs) {
      if (status) return status;
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** pid → [ppid, comm, cmdline] of every process we can read. */
function processTable(): Map<number, { ppid: number; comm: string; cmdline: string }> {
  const table = new Map<number, { ppid: number; comm: string; cmdline: string }>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      table.set(Number(entry.name), { ppid, comm, cmdline });
    } catch {
      // Exited while we looked.
    }
  }
  return table;
}

/** Our descendants matching `match` (comm and cmdline), e.g. the broker JVM or PostgreSQL's processes. */
export function descendants(match: (comm: string, cmdline: string) => boolean, root = Deno.pid): number[] {
  const table = processTable();
  const isOurs = (pid: number) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === root) return true;
      p = table.get(p)?.ppid ?? 0;
    }
    return false;
  };
  return [...table.entries()].filter(([pid, p]) => pid !== root && isOurs(pid) && match(p.comm, p.cmdline))
    .map(([pid]) => pid);
}

/**
 * CPU seconds a group of processes used between now and `stop()`; processes that appear meanwhile (a new
 * PostgreSQL backend) count whole, those that exit meanwhile are lost (their CPU is no longer readable).
 */
export function watchGroupCpu(find: () => number[]): { stop(): number } {
  const start = new Map(find().map((pid) => [pid, processCpuSeconds(pid)]));
  return {
    stop() {
      let total = 0;
      for (const pid of new Set([...start.keys(), ...find()])) {
        const now = processCpuSeconds(pid);
        if (Number.isFinite(now)) total += now - (start.get(pid) ?? 0);
      }
      return total;
    },
  };
}
