/**
 * The stdout sink: one line per event, by default exactly what the reference article's Python consumer
 * prints (`[LOG] User: keita, Action: login`). Template syntax: see core/template.ts. STDOUT_FORMAT=json
 * prints the whole CloudEvent as one JSON line instead.
 *
 * A batch counts as delivered once its lines were handed to the stdout file descriptor; while stdout is a
 * pipe whose reader stalls, the write waits, and so does the partition (backpressure, not buffering).
 *
 * @module
 */
import { type ConfigOf, defineConfig, oneOf, str, toCloudEventJson } from "@kafka-edge/lib";
import { type Sink, SinkError, type SinkRecord, type SinkWriteResult } from "../core/sink.ts";
import { compileTemplate, DEFAULT_TEMPLATE } from "../core/template.ts";

/** The stdout sink's settings. */
export const stdoutSinkSpec = defineConfig({
  STDOUT_FORMAT: oneOf(["template", "json"]).default("template").describe(
    "template lines or CloudEvent JSON",
  ),
  STDOUT_TEMPLATE: str().default(DEFAULT_TEMPLATE).example(DEFAULT_TEMPLATE)
    .describe("line template: {/json/pointer} into the data, {$type} etc. for attributes, {{ }} for braces"),
}, [{
  uses: ["STDOUT_TEMPLATE"],
  run(c) {
    const compiled = compileTemplate(c.STDOUT_TEMPLATE);
    if (compiled.ok) return [];
    return [{
      variables: ["STDOUT_TEMPLATE"],
      message: compiled.message,
      fix: `set STDOUT_TEMPLATE=${DEFAULT_TEMPLATE}`,
    }];
  },
}]);

/** Parsed stdout sink settings. */
export type StdoutSinkConfig = ConfigOf<typeof stdoutSinkSpec.fields>;

/** Where the lines go; defaults to the process's stdout. */
export interface StdoutSinkDeps {
  readonly write?: (bytes: Uint8Array) => Promise<void>;
}

async function writeAllStdout(bytes: Uint8Array): Promise<void> {
  let written = 0;
  // Deno.stdout.write may accept fewer bytes than offered (pipes); a bounded loop since each step makes progress.
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

/** Creates the stdout sink. */
export function createStdoutSink(config: StdoutSinkConfig, deps: StdoutSinkDeps = {}): Sink {
  const compiled = compileTemplate(config.STDOUT_TEMPLATE);
  if (!compiled.ok) throw new Error(`STDOUT_TEMPLATE: ${compiled.message}`);
  const template = compiled.value;
  const write = deps.write ?? writeAllStdout;
  const encoder = new TextEncoder();
  const render = config.STDOUT_FORMAT === "json"
    ? (r: SinkRecord) => JSON.stringify(toCloudEventJson(r.event))
    : template;
  return {
    name: "stdout",
    start: () => Promise.resolve(),
    async write(records, ctx): Promise<SinkWriteResult> {
      if (ctx.signal.aborted) throw new SinkError("write aborted", "transient");
      const lines: string[] = [];
      const failures: { index: number; error: SinkError }[] = [];
      records.forEach((record, index) => {
        try {
          lines.push(render(record) + "\n");
        } catch (err) {
          failures.push({
            index,
            error: new SinkError(`cannot render: ${(err as Error).message}`, "permanent"),
          });
        }
      });
      if (lines.length > 0) {
        try {
          await write(encoder.encode(lines.join("")));
        } catch (err) {
          throw new SinkError(`stdout write failed: ${(err as Error).message}`, "transient");
        }
      }
      return failures.length > 0 ? { failures } : {};
    },
    close: () => Promise.resolve(),
  };
}
