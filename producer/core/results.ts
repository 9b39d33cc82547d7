/**
 * Turns per-record outcomes into the HTTP answer. The rule, for both routes: 200 only when Kafka
 * acknowledged every event; 207 when some were acknowledged and some not (the body says which); 503 with
 * Retry-After when none was and the cause is transient; 422 when none was and retrying cannot help.
 */
import type { RecordOutcome } from "./batcher.ts";

/** One event's result in a v1 response. */
export type EventResult =
  | { readonly id: string; readonly partition: number; readonly offset: string }
  | { readonly id: string; readonly error: { readonly code: string; readonly message: string } };

/** The HTTP answer to a produce request, before serialisation. */
export interface ProduceAnswer {
  readonly status: 200 | 207 | 422 | 503;
  /** Seconds, for 503. */
  readonly retryAfter?: number;
  readonly body: unknown;
}

function summarize(outcomes: readonly RecordOutcome[]) {
  const failed = outcomes.filter((o) => !o.ok);
  const retriable = failed.some((o) => !o.ok && o.error.retriable);
  const status: ProduceAnswer["status"] = failed.length === 0
    ? 200
    : failed.length < outcomes.length
    ? 207
    : retriable
    ? 503
    : 422;
  return { failed: failed.length, status };
}

/** The v1 answer: `{results: [...], succeeded, failed}`, wrapped in the error shape when nothing succeeded. */
export function v1Answer(
  ids: readonly string[],
  outcomes: readonly RecordOutcome[],
  retryAfter: number,
): ProduceAnswer {
  const results: EventResult[] = outcomes.map((o, i) =>
    o.ok
      ? { id: ids[i], partition: o.partition, offset: o.offset }
      : { id: ids[i], error: { code: o.error.code, message: o.error.message } }
  );
  const { failed, status } = summarize(outcomes);
  const succeeded = outcomes.length - failed;
  if (status === 200 || status === 207) return { status, body: { results, succeeded, failed } };
  const first = outcomes.find((o) => !o.ok)!;
  const message = status === 503
    ? `Kafka did not acknowledge the events; retry later with the same ids (${
      first.ok ? "" : first.error.message
    })`
    : `Kafka rejected the events (${first.ok ? "" : first.error.message})`;
  return {
    status,
    retryAfter: status === 503 ? retryAfter : undefined,
    body: {
      error: {
        code: status === 503 ? "service_unavailable" : "unprocessable_entity",
        message,
        details: { results, succeeded, failed },
      },
    },
  };
}

/**
 * The Strimzi-bridge-compatible answer: `{offsets: [{partition, offset} | {error_code, message}]}` as the
 * bridge writes it, but with an honest status code instead of the bridge's 200 for partial failures.
 */
export function bridgeAnswer(outcomes: readonly RecordOutcome[], retryAfter: number): ProduceAnswer {
  const offsets = outcomes.map((o) =>
    o.ok
      ? { partition: o.partition, offset: Number(o.offset) }
      : { error_code: o.error.retriable ? 503 : 422, message: o.error.message }
  );
  const { status } = summarize(outcomes);
  return { status, retryAfter: status === 503 ? retryAfter : undefined, body: { offsets } };
}
