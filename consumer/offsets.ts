/** The offsets CLI process; see offsets_tool.ts for usage. */
import { createKafka, createLogger, extendConfig, kafkaConfigSpec, loadConfig, str } from "@kafka-edge/lib";
import { runOffsets } from "./offsets_tool.ts";

const spec = extendConfig(kafkaConfigSpec, { KAFKA_CLIENT_ID: str().default("kafka-edge-offsets") });
const cfg = loadConfig(spec);
// kafkajs' own chatter would interleave with the table; only its errors matter here.
const log = createLogger({ level: "error", sink: (line) => console.error(line) });
try {
  Deno.exit(await runOffsets(Deno.args, createKafka(cfg, log), { out: console.log, err: console.error }));
} catch (err) {
  console.error(`failed: ${err instanceof Error ? err.message : String(err)}`);
  Deno.exit(1);
}
