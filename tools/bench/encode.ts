/**
 * `deno run -A tools/bench/encode.ts [--patch] [--string-headers] [--request] [--records N] [--rounds N] [--trials N]`:
 * CPU per record of the gateway's encode path alone — the CloudEvent headers of a v1 event (plain.ts),
 * `uuidv7`, the adapter's `toMessage` and kafkajs' Record encoder; with `--request`, the whole Produce
 * request a gateway round sends (the records spread over 6 partitions, record batches, the size-prefixed
 * request and the bytes handed to the socket) — without HTTP or a broker, so that one change can
 * be measured on a machine too busy for the end-to-end bench to tell 10 % apart. `--patch` installs the
 * kafkajs encoder patch; `--string-headers` passes every header as a string (as before the constant header
 * Buffers). Run each variant in its own process: the patch cannot be undone.
 */
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import process from "node:process";
import { installKafkajsEncoderPatch } from "../../producer/adapters/kafkajs_encoder.ts";
import { toMessage } from "../../producer/adapters/kafkajs_sender.ts";
import { uuidv7 } from "../../producer/core/ids.ts";
import type { OutboundRecord } from "../../producer/core/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    patch: { type: "boolean", default: false },
    "string-headers": { type: "boolean", default: false },
    request: { type: "boolean", default: false },
    records: { type: "string", default: "100" },
    rounds: { type: "string", default: "300" },
    trials: { type: "string", default: "9" },
  },
});
const require = createRequire(import.meta.resolve("kafkajs"));
if (values.patch) console.error("patch:", installKafkajsEncoderPatch());
// Looked up after the patch: it replaces the record module's exports.
const Record = require("./src/protocol/recordBatch/record/v0/index.js");
const produceRequest = require("./src/protocol/requests/produce/v3/request.js");
const wrapRequest = require("./src/protocol/request.js");

const utf8 = new TextEncoder();
const value = utf8.encode(JSON.stringify({ user: "u-1234", action: "login", pad: "x".repeat(200) }));
const time = new Date().toISOString();

/** One v1 event as plain.ts builds it: key = id, six ce_* headers. */
function record(): OutboundRecord {
  const id = uuidv7();
  return {
    key: utf8.encode(id),
    value,
    headers: [
      ["ce_specversion", "1.0"],
      ["ce_id", id],
      ["ce_source", "/topics/bench"],
      ["ce_type", "kafka-edge.event"],
      ["ce_time", time],
      ["content-type", "application/json"],
    ],
  };
}

/** The adapter's message before constant header Buffers: every string header value passed as it is. */
function stringHeaders(r: OutboundRecord, partition: number) {
  const m = toMessage({ ...r, headers: [] }, partition);
  const headers: Record<string, string> = Object.create(null);
  for (const [name, v] of r.headers) headers[name] = v as string;
  return { ...m, headers };
}

const n = Number(values.records);
const rounds = Number(values.rounds);
const PARTITIONS = 6;
let bytes = 0;
async function round() {
  if (values.request) {
    const messages: ReturnType<typeof toMessage>[][] = Array.from({ length: PARTITIONS }, () => []);
    for (let i = 0; i < n; i++) {
      messages[i % PARTITIONS].push(toMessage(record(), i % PARTITIONS, values.patch));
    }
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      compression: 0,
      producerId: 1,
      producerEpoch: 0,
      topicData: [{
        topic: "bench",
        partitions: messages.map((m, partition) => ({ partition, firstSequence: 0, messages: m })),
      }],
    });
    const encoder = await wrapRequest({ correlationId: 1, clientId: "kafka-edge-gateway", request });
    bytes += encoder.buffer.length / n;
    return;
  }
  for (let i = 0; i < n; i++) {
    const r = record();
    // With --patch the adapter hands records over as the gateway does once the lean record is installed.
    const m = values["string-headers"] ? stringHeaders(r, 0) : toMessage(r, 0, values.patch);
    bytes += Record({ ...m, offsetDelta: i, timestampDelta: 0 }).size();
  }
}
for (let i = 0; i < rounds; i++) await round(); // warm-up: let V8 optimise
// CPU time of the fastest of several trials: other processes sharing the cores only ever add to it.
const trials: number[] = [];
for (let t = 0; t < Number(values.trials); t++) {
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await round();
  const used = process.cpuUsage(cpu);
  trials.push((used.user + used.system) / (n * rounds));
}
trials.sort((a, b) => a - b);
console.log(JSON.stringify({
  patch: values.patch,
  stringHeaders: values["string-headers"],
  request: values.request,
  recordsPerTrial: n * rounds,
  cpuUsPerRecordMin: +trials[0].toFixed(3),
  cpuUsPerRecordMedian: +trials[trials.length >> 1].toFixed(3),
  meanRecordBytes: Math.round(bytes / ((values.request ? 1 : n) * rounds * (trials.length + 1))),
}));
