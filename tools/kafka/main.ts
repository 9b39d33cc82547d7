/**
 * `deno task kafka [--brokers N] [--port P] [--scram] [--tls]`: a local KRaft Kafka in the foreground.
 * Prints `KAFKA_BOOTSTRAP=…` once it serves metadata and stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { startKafka } from "@kafka-edge/lib/testing";

const usage = "usage: deno task kafka [--brokers N] [--port P] [--scram] [--tls]";
const { values } = parseArgs({
  args: Deno.args,
  options: {
    brokers: { type: "string", default: "1" },
    port: { type: "string" },
    scram: { type: "boolean", default: false },
    tls: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  Deno.exit(0);
}
const brokers = Number(values.brokers);
const port = values.port === undefined ? undefined : Number(values.port);
if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) {
  console.error(`--brokers: must be an integer from 1 to 9; got "${values.brokers}"\n${usage}`);
  Deno.exit(2);
}
if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
  console.error(`--port: must be a TCP port; got "${values.port}"\n${usage}`);
  Deno.exit(2);
}

const kafka = await startKafka({ brokers, port, scram: values.scram, tls: values.tls });
console.log(`KAFKA_BOOTSTRAP=${kafka.bootstrap}`);
if (kafka.sasl) {
  console.log(`KAFKA_SASL_BOOTSTRAP=${kafka.sasl.bootstrap}`);
  for (const [user, password] of Object.entries(kafka.sasl.users)) {
    console.log(`# SCRAM user ${user} / ${password}`);
  }
}
if (kafka.tls) {
  console.log(`KAFKA_TLS_BOOTSTRAP=${kafka.tls.bootstrap}`);
  if (kafka.tls.saslBootstrap) console.log(`KAFKA_SASL_TLS_BOOTSTRAP=${kafka.tls.saslBootstrap}`);
  console.log(`KAFKA_TLS_CA_FILE=${kafka.tls.certs.caFile}`);
}
console.error(`# data and logs in ${kafka.dir} (removed on exit)`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) Deno.exit(130); // a second Ctrl-C means "now"
  stopping = true;
  console.error(`# ${signal}: stopping Kafka`);
  await kafka.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
