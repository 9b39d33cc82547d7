/**
 * The worker process: parse settings, serve probes and metrics, consume until SIGTERM, then finish the
 * in-flight batch, commit, leave the group and exit 0 within SHUTDOWN_TIMEOUT.
 *
 * With SINK=stdout the JSON logs go to stderr, so stdout carries nothing but the events.
 */
import { createLogger, createShutdown, describeConfig, redactConfig } from "@kafka-edge/lib";
import { loadWorkerSettings, workerConfigSpec } from "./config.ts";
import { SINKS } from "./sinks/registry.ts";
import { createWorker } from "./worker.ts";

if (Deno.args.includes("--help")) {
  console.log("kafka-edge worker — settings come from the environment or CONFIG_FILE (YAML/JSON):\n");
  for (const line of describeConfig(workerConfigSpec)) console.log(`  ${line}`);
  for (const [name, sink] of Object.entries(SINKS)) {
    console.log(`\nSINK=${name}:`);
    for (const line of describeConfig(sink.spec)) console.log(`  ${line}`);
  }
  Deno.exit(0);
}
const settings = loadWorkerSettings();
const cfg = settings.worker;
const log = createLogger({
  level: cfg.LOG_LEVEL,
  fields: { service: "worker", group: cfg.GROUP_ID },
  ...(settings.sink.name === "stdout" ? { sink: (line: string) => console.error(line) } : {}),
});
log.info("starting", {
  config: redactConfig(workerConfigSpec, cfg),
  sink: settings.sink.name,
  sinkConfig: redactConfig(settings.sink.definition.spec, settings.sink.config),
});

const shutdown = createShutdown({ deadlineMs: cfg.SHUTDOWN_TIMEOUT, log });
const worker = createWorker(settings, { log, onFatal: (reason) => void shutdown.trigger(reason, 1) });
const server = Deno.serve({
  hostname: cfg.HOST,
  port: cfg.PORT,
  onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}`, port }),
}, worker.handler);
shutdown.register("finish in-flight batches, commit, leave the group", () => worker.stop());
shutdown.register("stop the HTTP server", () => server.shutdown());

try {
  await worker.start();
} catch (err) {
  log.error("start-up failed", { err });
  await shutdown.trigger("start-up failed", 1);
}
