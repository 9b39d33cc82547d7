/**
 * The delivery decisions for one chunk of records from one topic-partition, free of Kafka and I/O so every
 * path is unit-tested: write to the sink, retry transient failures with backoff, dead-letter permanent
 * failures and exhausted retries, and report how many leading records are settled and may be committed.
 *
 * Invariant: a record counts as settled only once the sink acknowledged it, it was skipped (filter,
 * tombstone), or its dead-letter copy was acknowledged by Kafka. The caller commits the offset after the
 * last settled record and nothing beyond, so a crash at any point re-delivers instead of losing.
 *
 * @module
 */
import { backoffDelay, type RetryPolicy } from "./backoff.ts";
import { type DeadLetterRecord, deadLetterRecord } from "./dead_letter.ts";
import { prepareRecord, type Selection } from "./prepare.ts";
import { type Sink, SinkError, type SinkRecord } from "./sink.ts";
import type { ConsumedRecord, Failure } from "./types.ts";

/** What to do when a record's transient failures outlast the retry attempts. */
export type ExhaustedAction = "dlq" | "pause";

/** Everything {@link processChunk} needs; the runtime builds it once per worker. */
export interface ProcessorDeps {
  readonly sink: Pick<Sink, "name" | "write" | "reads">;
  /** Produces to the dead-letter topic and resolves once Kafka acknowledged; absent when DLQ_TOPIC is unset. */
  readonly deadLetter?: (records: readonly DeadLetterRecord[]) => Promise<void>;
  /** Waits `ms`, resolving early when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
  readonly group: string;
  readonly selection: Selection;
  readonly retry: RetryPolicy;
  readonly onExhausted: ExhaustedAction;
}

/** Cancellation of one chunk. */
export interface ChunkSignals {
  /** Aborted when no new attempt or wait may begin (shutdown, partition revoked, rebalance). */
  readonly stop: AbortSignal;
  /** Handed to the sink; aborted when in-flight writes must be cut short (shutdown deadline). */
  readonly abort: AbortSignal;
}

/** The outcome of one chunk. */
export interface ChunkResult {
  /** Leading records that are settled; commit the offset after the last of them. */
  readonly settled: number;
  /** Present when the partition must pause and retry from record `settled` later. */
  readonly blocked?: string;
  /** True when `stop` ended the chunk before every record was settled. */
  readonly stopped: boolean;
  /** Records the sink acknowledged (for throughput and end-to-end latency metrics). */
  readonly delivered: readonly SinkRecord[];
  readonly skipped: { readonly filtered: number; readonly tombstone: number };
  readonly deadLettered: number;
  /** Failed write attempts per record, by kind. */
  readonly failedAttempts: { readonly transient: number; readonly permanent: number };
  /** The last failure seen, for logs. */
  readonly lastFailure?: Failure;
}

type State =
  | { readonly kind: "done" }
  | { readonly kind: "pending"; readonly record: SinkRecord; readonly error?: SinkError }
  | { readonly kind: "dead"; readonly failure: Failure };

// One shared "done" state and index loops without per-record arrays: this runs for every consumed record,
// and its garbage was a measurable share of the worker's CPU over bare kafkajs.
const DONE: State = { kind: "done" };

/** Indexes of the states of `kind`, in order. */
function indexesOf(states: readonly State[], kind: State["kind"]): number[] {
  const out: number[] = [];
  for (let i = 0; i < states.length; i++) if (states[i].kind === kind) out.push(i);
  return out;
}

function classify(err: unknown): SinkError {
  if (err instanceof SinkError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const wrapped = new SinkError(message, "transient");
  if (err instanceof Error) wrapped.name = err.name;
  return wrapped;
}

function failureOf(error: SinkError, attempts: number): Failure {
  return { errorClass: error.name, message: error.message, kind: error.kind, attempts };
}

/** Processes `records` (one topic-partition, offset order) and reports what may be committed. */
export async function processChunk(
  records: readonly ConsumedRecord[],
  deps: ProcessorDeps,
  signals: ChunkSignals,
): Promise<ChunkResult> {
  const states: State[] = [];
  const skipped = { filtered: 0, tombstone: 0 };
  for (const record of records) {
    const prepared = prepareRecord(record, deps.selection, deps.sink.reads);
    if (prepared.kind === "deliver") states.push({ kind: "pending", record: prepared.record });
    else if (prepared.kind === "skip") {
      skipped[prepared.reason]++;
      states.push(DONE);
    } else states.push({ kind: "dead", failure: prepared.failure });
  }

  const delivered: SinkRecord[] = [];
  const failedAttempts = { transient: 0, permanent: 0 };
  let lastFailure: Failure | undefined;
  let blocked: string | undefined;
  let stopped = false;
  let indexes = indexesOf(states, "pending");

  for (let attempt = 1; indexes.length > 0; attempt++) {
    if (signals.stop.aborted) {
      stopped = true;
      break;
    }
    const batch = indexes.map((i) => (states[i] as { record: SinkRecord }).record);
    const errors = new Map<number, SinkError>();
    try {
      const result = await deps.sink.write(batch, { signal: signals.abort });
      for (const f of result.failures ?? []) {
        if (Number.isInteger(f.index) && f.index >= 0 && f.index < batch.length) {
          errors.set(f.index, classify(f.error));
        }
      }
    } catch (err) {
      const error = classify(err);
      batch.forEach((_, i) => errors.set(i, error));
    }
    indexes.forEach((stateIndex, batchIndex) => {
      const error = errors.get(batchIndex);
      if (!error) {
        delivered.push(batch[batchIndex]);
        states[stateIndex] = DONE;
        return;
      }
      failedAttempts[error.kind]++;
      lastFailure = failureOf(error, attempt);
      states[stateIndex] = error.kind === "permanent"
        ? { kind: "dead", failure: lastFailure }
        : { kind: "pending", record: batch[batchIndex], error };
    });
    indexes = indexesOf(states, "pending");
    if (indexes.length === 0) break;
    if (attempt >= deps.retry.attempts) {
      if (deps.onExhausted === "pause") {
        blocked = `retries exhausted after ${attempt} attempts: ${lastFailure?.message}`;
        break;
      }
      for (const i of indexes) {
        const s = states[i] as { error: SinkError };
        states[i] = { kind: "dead", failure: failureOf(s.error, attempt) };
      }
      break;
    }
    const retryAfter = Math.max(
      ...indexes.map((i) => (states[i] as { error?: SinkError }).error?.retryAfterMs ?? 0),
    );
    await deps.sleep(backoffDelay(attempt, deps.retry, deps.random, retryAfter || undefined), signals.stop);
  }

  let deadLettered = 0;
  const dead = indexesOf(states, "dead").map((i) => ({
    i,
    failure: (states[i] as { failure: Failure }).failure,
  }));
  if (dead.length > 0) {
    if (!deps.deadLetter) {
      blocked ??= `a record cannot be delivered (${dead[0].failure.message}) and DLQ_TOPIC is not set`;
    } else {
      const context = { group: deps.group, sink: deps.sink.name, now: deps.now() };
      try {
        await deps.deadLetter(dead.map(({ i, failure }) => deadLetterRecord(records[i], failure, context)));
        for (const { i } of dead) states[i] = DONE;
        deadLettered = dead.length;
      } catch (err) {
        blocked ??= `dead-letter topic is not writable: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    lastFailure ??= dead[0].failure;
  }

  const firstOpen = states.findIndex((s) => s.kind !== "done");
  const settled = firstOpen < 0 ? states.length : firstOpen;
  return {
    settled,
    ...(blocked === undefined ? {} : { blocked }),
    stopped: stopped && settled < states.length,
    delivered,
    skipped,
    deadLettered,
    failedAttempts,
    ...(lastFailure ? { lastFailure } : {}),
  };
}
