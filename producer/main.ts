/**
 * The gateway process: parse settings, build the gateway, serve HTTP, and shut down in order on SIGTERM
 * (readyz false → stop accepting → flush and await in-flight sends → disconnect → exit 0).
 */
import {
  ConfigError,
  createLogger,
  createShutdown,
  describeConfig,
  loadConfig,
  redactConfig,
} from "@kafka-edge/lib";
import { producerConfigSpec } from "./config.ts";
import { createGateway, type Gateway } from "./gateway.ts";

if (Deno.args.includes("--help")) {
  console.log("kafka-edge gateway — settings come from the environment or CONFIG_FILE (YAML/JSON):\n");
  for (const line of describeConfig(producerConfigSpec)) console.log(`  ${line}`);
  Deno.exit(0);
}
const cfg = loadConfig(producerConfigSpec);
const log = createLogger({ level: cfg.LOG_LEVEL, fields: { service: "gateway" } });
log.info("starting", { config: redactConfig(producerConfigSpec, cfg) });

let gateway: Gateway;
try {
  gateway = createGateway(cfg, { log });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  Deno.exit(78);
}
await gateway.start();

const server = Deno.serve({
  hostname: cfg.HOST,
  port: cfg.PORT,
  onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
}, gateway.app.fetch);

const shutdown = createShutdown({ deadlineMs: cfg.SHUTDOWN_TIMEOUT, log });
shutdown.register("stop accepting and flush in-flight events", async () => {
  gateway.beginDrain();
  await Promise.all([server.shutdown(), gateway.drain()]);
});
shutdown.register("disconnect from Kafka", () => gateway.close());
