/**
 * The noop sink: acknowledges every record untouched. For load tests and benchmarks (what the worker
 * runtime costs without a destination), and for moving a group past records on purpose while keeping the
 * filter, metrics and dead-letter path. It reads nothing of a record, so records reach it undecoded
 * (`reads: "bytes"`) unless FILTER or PROJECTION needs the event.
 *
 * @module
 */
import { defineConfig } from "@kafka-edge/lib";
import { type Sink, SinkError, type SinkRecord } from "../core/sink.ts";

/** The noop sink has no settings. */
export const noopSinkSpec = defineConfig({});

/** Optional observer, for tests that need to see what was acknowledged. */
export interface NoopSinkDeps {
  readonly observe?: (records: readonly SinkRecord[]) => void;
}

/** Creates the noop sink. */
export function createNoopSink(deps: NoopSinkDeps = {}): Sink {
  return {
    name: "noop",
    reads: "bytes",
    start: () => Promise.resolve(),
    write(records, ctx) {
      if (ctx.signal.aborted) return Promise.reject(new SinkError("write aborted", "transient"));
      deps.observe?.(records);
      return Promise.resolve({});
    },
    close: () => Promise.resolve(),
  };
}
