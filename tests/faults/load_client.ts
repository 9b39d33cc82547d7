/**
 * The Jepsen-style client the fault scenarios share: concurrent loops post uniquely-id'd events
 * (Idempotency-Key) to a gateway and record each id's outcome, then the topic is read back and compared.
 * Only a 200 is an acknowledgement; a 503, a timeout or a refused connection leaves an id indeterminate
 * (it may or may not be stored), and a 4xx must never be stored.
 */
import { Kafka, logLevel } from "kafkajs";
import { readTopic } from "../support/read_topic.ts";

/** What the load client saw. */
export interface LoadResult {
  sent: number;
  /** Ids answered 200, with the time of the answer. */
  readonly acked: Map<string, number>;
  /** Ids answered 4xx (bad input on purpose): these must never reach Kafka. */
  readonly rejected: Set<string>;
  /** Ids answered 503 or with no answer at all (indeterminate). */
  readonly indeterminate: Set<string>;
  readonly statuses: Map<string, number>;
  /** Times (ms) of each 2xx answer, sent time → answered time, for "no 2xx while down" checks. */
  readonly okTimes: { sentAt: number; at: number }[];
}

/** Options for {@link runLoad}. */
export interface LoadOptions {
  readonly url: string;
  readonly topic: string;
  /** Id prefix, unique per run. */
  readonly prefix: string;
  readonly loops: number;
  /** Hard cap on the run's length. */
  readonly maxMs: number;
  /** Hard cap on requests per loop. */
  readonly maxPerLoop: number;
  /** Stops the loops early once it returns true. */
  readonly stop?: () => boolean;
  /** Every n-th request of a loop is malformed JSON (expected 400). 0 = never. */
  readonly badEvery?: number;
  /** Client-side timeout per request. */
  readonly requestTimeoutMs?: number;
  /** Pause after a non-200 answer, so a down gateway is not hammered in a tight loop. */
  readonly backoffMs?: number;
  /** Extra request headers (auth). */
  readonly headers?: Record<string, string>;
  /** Event payload padding in bytes. */
  readonly padBytes?: number;
}

/** Starts the loops; resolves when all of them ended. `result` is live while they run. */
export function runLoad(opts: LoadOptions): { result: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = {
    sent: 0,
    acked: new Map(),
    rejected: new Set(),
    indeterminate: new Set(),
    statuses: new Map(),
    okTimes: [],
  };
  const started = Date.now();
  const pad = "p".repeat(opts.padBytes ?? 64);
  const count = (key: string) => result.statuses.set(key, (result.statuses.get(key) ?? 0) + 1);
  async function loop(w: number): Promise<void> {
    for (let i = 0; i < opts.maxPerLoop; i++) {
      if (Date.now() - started > opts.maxMs || opts.stop?.()) return;
      const id = `${opts.prefix}-w${w}-${i}`;
      const bad = (opts.badEvery ?? 0) > 0 && i % opts.badEvery! === opts.badEvery! - 1;
      const body = bad ? `{"id":"${id}","broken":` : JSON.stringify({ id, w, i, pad });
      result.sent++;
      const sentAt = Date.now();
      let status = 0;
      try {
        const res = await fetch(`${opts.url}/v1/topics/${opts.topic}/events`, {
          method: "POST",
          body,
          headers: { "content-type": "application/json", "idempotency-key": id, ...opts.headers },
          signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 20_000),
        });
        status = res.status;
        const answer = await res.json().catch(() => undefined);
        count(String(status));
        if (status === 200) {
          const ackedId = answer?.results?.[0]?.id;
          if (ackedId !== id) throw new Error(`200 for ${id} names id ${JSON.stringify(ackedId)}`);
          result.acked.set(id, Date.now());
          result.okTimes.push({ sentAt, at: Date.now() });
        } else if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
          result.rejected.add(id);
        } else {
          result.indeterminate.add(id);
        }
      } catch (err) {
        if (err instanceof Error && err.message.startsWith("200 for")) throw err;
        count("no-answer");
        result.indeterminate.add(id);
      }
      if (status !== 200 && status !== 400) await new Promise((r) => setTimeout(r, opts.backoffMs ?? 100));
    }
  }
  const done = Promise.all(Array.from({ length: opts.loops }, (_, w) => loop(w))).then(() => result);
  return { result, done };
}

/** The acknowledged-versus-stored comparison. */
export interface Verdict {
  readonly sent: number;
  readonly acked: number;
  readonly read: number;
  /** Acknowledged ids missing from the topic: must be empty. */
  readonly lost: string[];
  /** Ids answered 4xx that are in the topic anyway: must be empty. */
  readonly leaked: string[];
  /** Ids stored more than once (extra copies). */
  readonly duplicates: number;
  /** Ids answered 503/timeout that were stored anyway. */
  readonly indeterminateStored: number;
  readonly status503: number;
  readonly statuses: Record<string, number>;
}

/** Reads `topic` back (ids from the ce_id header) and compares it with what the client saw. */
export async function verify(bootstrap: string, topic: string, load: LoadResult): Promise<Verdict> {
  const records = await readTopic(bootstrap, topic, 120_000);
  const copies = new Map<string, number>();
  for (const r of records) {
    const id = r.headers.ce_id;
    if (id) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const n of copies.values()) duplicates += n - 1;
  const verdict: Verdict = {
    sent: load.sent,
    acked: load.acked.size,
    read: copies.size,
    lost: [...load.acked.keys()].filter((id) => !copies.has(id)),
    leaked: [...load.rejected].filter((id) => copies.has(id)),
    duplicates,
    indeterminateStored: [...load.indeterminate].filter((id) => copies.has(id)).length,
    status503: load.statuses.get("503") ?? 0,
    statuses: Object.fromEntries(load.statuses),
  };
  return verdict;
}

/** One summary line, greppable as `RESULT <scenario> {...}`. */
export function report(scenario: string, verdict: Verdict, extra: Record<string, unknown> = {}): void {
  const { lost, leaked, ...rest } = verdict;
  console.log(
    `RESULT ${scenario} ${
      JSON.stringify({
        ...rest,
        lost: lost.length,
        leaked4xx: leaked.length,
        lostSample: lost.slice(0, 5),
        ...extra,
      })
    }`,
  );
}

/** A kafkajs client for admin work in the scenarios. */
export function kafkaClient(bootstrap: string): Kafka {
  return new Kafka({
    clientId: "faults",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

/** Creates a topic with explicit replication and `min.insync.replicas`. */
export async function createReplicatedTopic(
  bootstrap: string,
  topic: string,
  opts: { partitions: number; replicationFactor: number; minInsync: number },
): Promise<void> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: opts.partitions,
        replicationFactor: opts.replicationFactor,
        configEntries: [{ name: "min.insync.replicas", value: String(opts.minInsync) }],
      }],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Leader and ISR of one partition, from a fresh metadata request. */
export async function partitionState(
  bootstrap: string,
  topic: string,
  partition = 0,
): Promise<{ leader: number; isr: number[] }> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = meta.topics[0].partitions.find((x) => x.partitionId === partition)!;
    return { leader: p.leader, isr: [...p.isr] };
  } finally {
    await admin.disconnect();
  }
}

/** Resident set size of a process in KiB, from /proc. */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Posts one event; the status (0 = no answer). */
export async function postOnce(url: string, topic: string, id: string, timeoutMs = 10_000): Promise<number> {
  try {
    const res = await fetch(`${url}/v1/topics/${topic}/events`, {
      method: "POST",
      body: JSON.stringify({ id }),
      headers: { "content-type": "application/json", "idempotency-key": id },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** /readyz status (0 = no answer). */
export async function readyz(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Gateway settings that make a fault visible within seconds instead of tens of seconds. */
export const FAST_FAILURE_ENV: Readonly<Record<string, string>> = {
  METADATA_REFRESH: "300ms",
  METADATA_STALE_AFTER: "1500ms",
  REQUEST_TIMEOUT: "8s",
  KAFKA_CONNECTION_TIMEOUT: "1000ms",
  KAFKA_REQUEST_TIMEOUT: "3s",
  LOG_LEVEL: "warn",
};
