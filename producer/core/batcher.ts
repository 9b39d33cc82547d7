/**
 * Coalesces records from concurrent requests into one batch per topic-partition, and the batches of all
 * partitions that are ready into one `sendMany` (a round), which the client packs into one request per broker.
 *
 * - While no send is in flight the broker is idle and waiting for company would only add latency: records
 *   go at the end of the event-loop turn, together with everything else that arrived in it. While some send
 *   is in flight, a partition's records wait at most `lingerMs` (less once `maxBatchBytes` are queued) or
 *   until the last send settles. A round takes every partition with records and no send in flight,
 *   lingering or not.
 * - At most one send per partition is in flight: that keeps per-key order without relying on the client's
 *   idempotent retries, and records that arrive meanwhile form the next batch (natural batching under load).
 * - Each batch of a round is answered on its own: a partition the broker's answer does not cover fails
 *   alone; only a failure of the whole call fails every batch of the round.
 * - Every request has a deadline. Records still queued at the deadline are dropped and answered 503; records
 *   already sent are answered 503 too but keep their bytes reserved until the send settles, so memory stays
 *   bounded even when the client library retries for a long time.
 * - Budget: a request is admitted only if all its bytes fit (`ByteBudget`), else refused before buffering.
 */
import type { ByteBudget } from "./budget.ts";
import { recordBytes } from "./budget.ts";
import { type Clock, systemClock } from "@kafka-edge/lib";
import { partitionFor } from "./partitioner.ts";
import { type BatchResult, type ClusterView, type PartitionSender, ProduceError } from "./ports.ts";
import type { OutboundRecord } from "./types.ts";

/** Options for {@link createBatcher}. */
export interface BatcherOptions {
  readonly sender: PartitionSender;
  readonly cluster: ClusterView;
  readonly budget: ByteBudget;
  readonly clock?: Clock;
  /** How long the first record of a partition batch waits for company while another send is in flight. */
  readonly lingerMs: number;
  /** A partition batch is sent once it holds this many bytes, and never grows beyond it. */
  readonly maxBatchBytes: number;
  /** Broker acknowledgement timeout passed with each send. */
  readonly sendTimeoutMs: number;
  /**
   * A send pending longer than this means Kafka is not taking writes (e.g. the controller quorum is lost:
   * metadata still answers, produce never does); {@link Batcher.stalled} reports it. Default 3 000 ms.
   */
  readonly stallAfterMs?: number;
  readonly observer?: BatcherObserver;
}

/** Hooks for metrics; called synchronously, must not throw. */
export interface BatcherObserver {
  sent?(topic: string, partition: number, records: number, bytes: number, ms: number, ok: boolean): void;
}

/** What became of one record. */
export type RecordOutcome =
  | { readonly ok: true; readonly partition: number; readonly offset: string }
  | { readonly ok: false; readonly error: ProduceError };

/** The answer to {@link Batcher.produce}. */
export type Admission =
  | { readonly admitted: true; readonly outcomes: Promise<RecordOutcome[]> }
  | { readonly admitted: false; readonly reason: "budget" | "too_large" };

/** See the module comment. */
export interface Batcher {
  /** Admits a request's records (all or none) and resolves one outcome per record, in request order. */
  produce(topic: string, records: readonly OutboundRecord[], deadlineMs: number): Admission;
  /** Stops admitting, sends everything queued now, and waits until no send is in flight. */
  drain(): Promise<void>;
  /** Bytes admitted and not yet released. */
  readonly bytesInUse: number;
  /** True while some send has been pending longer than `stallAfterMs`; clears when it settles. */
  stalled(): boolean;
}

interface Pending {
  readonly record: OutboundRecord;
  readonly bytes: number;
  readonly lane: Lane;
  answered: boolean;
  sent: boolean;
  answer(outcome: RecordOutcome): void;
}

interface Lane {
  readonly topic: string;
  readonly partition: number;
  queue: Pending[];
  queuedBytes: number;
  inFlight: Promise<void> | undefined;
  /** When the in-flight send started (clock ms). */
  sentAt: number;
  timer: unknown;
}

/** Creates a batcher; see the module comment for its rules. */
export function createBatcher(opts: BatcherOptions): Batcher {
  const clock = opts.clock ?? systemClock;
  const lanes = new Map<string, Lane>();
  const sticky = new Map<string, number>();
  let draining = false;
  let roundsInFlight = 0;

  function laneFor(topic: string, partition: number): Lane {
    const id = laneId(topic, partition);
    let lane = lanes.get(id);
    if (!lane) {
      lane = {
        topic,
        partition,
        queue: [],
        queuedBytes: 0,
        inFlight: undefined,
        sentAt: 0,
        timer: undefined,
      };
      lanes.set(id, lane);
    }
    return lane;
  }

  function answer(p: Pending, outcome: RecordOutcome): void {
    if (p.answered) return;
    p.answered = true;
    if (!p.sent) {
      // Never sent: its bytes can be freed now. Sent records free theirs when the send settles.
      p.lane.queuedBytes -= p.bytes;
      opts.budget.release(p.bytes);
    }
    p.answer(outcome);
  }

  function schedule(lane: Lane): void {
    if (lane.inFlight) return;
    if (lane.queuedBytes >= opts.maxBatchBytes || draining) {
      flush();
    } else if (lane.timer === undefined) {
      // A zero timer fires after this turn's I/O, so the requests already read still ride along.
      lane.timer = clock.setTimeout(() => {
        lane.timer = undefined;
        flush();
      }, roundsInFlight === 0 ? 0 : opts.lingerMs);
    }
  }

  function takeBatch(lane: Lane): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < lane.queue.length; i++) {
      const p = lane.queue[i];
      if (p.answered) continue; // expired while queued: already released
      if (batch.length > 0 && bytes + p.bytes > opts.maxBatchBytes) break;
      batch.push(p);
      bytes += p.bytes;
    }
    lane.queue = i === lane.queue.length ? [] : lane.queue.slice(i);
    return batch;
  }

  /**
   * Sends one round: every lane that has records and no send in flight, in one `sendMany`. Lanes still
   * lingering go too: riding along costs no extra request, while waiting would cost one of their own.
   */
  function flush(): void {
    const round: { lane: Lane; batch: Pending[]; bytes: number }[] = [];
    for (const [id, lane] of lanes) {
      if (lane.inFlight) continue;
      if (lane.timer !== undefined) {
        clock.clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      const batch = takeBatch(lane);
      if (batch.length === 0) {
        if (lane.queue.length === 0) lanes.delete(id);
        continue;
      }
      let bytes = 0;
      for (const p of batch) {
        p.sent = true;
        bytes += p.bytes;
      }
      lane.queuedBytes -= bytes;
      round.push({ lane, batch, bytes });
    }
    if (round.length === 0) return;

    const started = clock.now();
    const settle = (resultOf: (i: number) => BatchResult) => {
      roundsInFlight--;
      const ms = clock.now() - started;
      const results = round.map((_, i) => resultOf(i));
      // Free bytes and lanes before answering, so a client retrying at once is not refused.
      round.forEach(({ lane, batch, bytes }, i) => {
        opts.budget.release(bytes);
        lane.inFlight = undefined;
        opts.observer?.sent?.(lane.topic, lane.partition, batch.length, bytes, ms, results[i].ok);
      });
      round.forEach(({ lane, batch }, i) => {
        const r = results[i];
        if (r.ok) {
          const { partition } = lane;
          batch.forEach((p, j) =>
            answer(p, { ok: true, partition, offset: String(r.baseOffset + BigInt(j)) })
          );
        } else {
          const outcome: RecordOutcome = { ok: false, error: r.error };
          for (const p of batch) answer(p, outcome);
        }
      });
      // Whatever queued meanwhile has already waited a full send: go now rather than linger again. Once
      // the last send settled, partitions lingering for company go too: the broker is idle.
      let queued = false;
      for (const { lane } of round) {
        if (lane.queue.length > 0) queued = true;
        else if (!lane.inFlight) lanes.delete(laneId(lane.topic, lane.partition));
      }
      if (queued || (roundsInFlight === 0 && lanes.size > 0)) flush();
    };
    const failed = (err: unknown): BatchResult => ({
      ok: false,
      error: err instanceof ProduceError
        ? err
        : new ProduceError("kafka_unavailable", `Kafka send failed: ${errorMessage(err)}`, true),
    });
    roundsInFlight++;
    let sending: Promise<readonly BatchResult[]>;
    try {
      sending = opts.sender.sendMany(
        round.map(({ lane, batch }) => ({
          topic: lane.topic,
          partition: lane.partition,
          records: batch.map((p) => p.record),
        })),
        opts.sendTimeoutMs,
      );
    } catch (err) {
      sending = Promise.reject(err);
    }
    const inFlight = sending.then(
      (results) => {
        const missing = failed(
          new ProduceError("kafka_rejected", "Kafka's acknowledgement did not cover the batch", true),
        );
        settle((i) => results[i] ?? missing);
      },
      (err: unknown) => {
        const error = failed(err);
        settle(() => error);
      },
    );
    for (const { lane } of round) {
      lane.inFlight = inFlight;
      lane.sentAt = started;
    }
  }

  function produce(topic: string, records: readonly OutboundRecord[], deadlineMs: number): Admission {
    const failAll = (error: ProduceError): Admission => ({
      admitted: true,
      outcomes: Promise.resolve(records.map(() => ({ ok: false as const, error }))),
    });
    if (records.length === 0) return { admitted: true, outcomes: Promise.resolve([]) };
    if (draining) return failAll(new ProduceError("shutting_down", "the gateway is shutting down", true));
    const partitions = opts.cluster.partitions(topic);
    if (partitions === undefined) {
      return failAll(new ProduceError("kafka_unavailable", `no metadata for topic "${topic}" yet`, true));
    }
    const sizes = records.map(recordBytes);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total > opts.budget.capacity) return { admitted: false, reason: "too_large" };
    if (!opts.budget.tryAcquire(total)) return { admitted: false, reason: "budget" };

    // Keyless records of one request stick to one partition, then the next request moves on.
    const fallback = sticky.get(topic) ?? Math.floor(Math.random() * partitions);
    sticky.set(topic, (fallback + 1) % partitions);
    const outcomes: RecordOutcome[] = new Array(records.length);
    let remaining = records.length;
    let resolveAll!: (o: RecordOutcome[]) => void;
    const all = new Promise<RecordOutcome[]>((r) => resolveAll = r);
    const pendings: Pending[] = [];
    let timer: unknown;
    records.forEach((record, i) => {
      const partition = record.partition ?? partitionFor(record.key, partitions, fallback);
      const settle = (outcome: RecordOutcome) => {
        outcomes[i] = outcome;
        if (--remaining === 0) {
          clock.clearTimeout(timer);
          resolveAll(outcomes);
        }
      };
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        opts.budget.release(sizes[i]);
        const message = `partition ${partition} does not exist; topic "${topic}" has ${partitions}`;
        settle({ ok: false, error: new ProduceError("kafka_rejected", message, false) });
        return;
      }
      const lane = laneFor(topic, partition);
      const p: Pending = { record, bytes: sizes[i], lane, answered: false, sent: false, answer: settle };
      pendings.push(p);
      lane.queue.push(p);
      lane.queuedBytes += p.bytes;
    });
    if (remaining > 0) {
      timer = clock.setTimeout(() => {
        const error = new ProduceError(
          "kafka_timeout",
          "Kafka did not acknowledge before the deadline",
          true,
        );
        for (const p of pendings) answer(p, { ok: false, error });
      }, Math.max(0, deadlineMs - clock.now()));
    }
    for (const lane of new Set(pendings.map((p) => p.lane))) schedule(lane);
    return { admitted: true, outcomes: all };
  }

  async function drain(): Promise<void> {
    draining = true;
    while (lanes.size > 0) {
      flush();
      const inFlight = new Set([...lanes.values()].map((l) => l.inFlight).filter((p) => p !== undefined));
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
  }

  return {
    produce,
    drain,
    stalled() {
      const limit = opts.stallAfterMs ?? 3000;
      const now = clock.now();
      for (const lane of lanes.values()) if (lane.inFlight && now - lane.sentAt > limit) return true;
      return false;
    },
    get bytesInUse() {
      return opts.budget.inUse;
    },
  };
}

function laneId(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
