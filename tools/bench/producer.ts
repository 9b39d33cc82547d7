/**
 * `deno task bench:producer [--quick] [--json [path]] [--no-bridge] [--cpu-prof DIR]`: the producer side
 * measured side by side on one local Kafka (KRaft, loopback), one machine, one run:
 *
 * 1. raw kafkajs in one process, configured like the gateway's sender (the client ceiling), and with
 *    kafkajs' unlimited in-flight default to show what that one setting is worth; raw @platformatic/kafka
 *    the same way (the other client the sender port takes);
 * 2. the gateway (`producer/main.ts`, a subprocess) on its v1 route, 100-event requests and one event
 *    per request on 64 connections, both waiting for Kafka's acknowledgement;
 * 3. the gateway with `KAFKA_CLIENT=platformatic` on the same v1 loads;
 * 4. the same gateway on its Strimzi-compatible route and the Strimzi Kafka Bridge (acks=all) with the
 *    same request bodies.
 *
 * HTTP load comes from wrk (tools/bench/wrk_client.ts) or, with `--client deno`, from
 * tools/bench/load_client.ts: closed loop, keep-alive, warm-up then a fixed window. Prints a Markdown table
 * and the goals (PASS/FAIL, never asserted) on stdout, a progress bar on stderr, and with --json the whole
 * report. Everything runs on 127.0.0.1 and stops itself: every load loop
 * is bounded by time and count, and every process it starts dies with it.
 */
import { parseArgs } from "node:util";
import { type KafkaFixture, startKafka } from "@kafka-edge/lib/testing";
import {
  type Daemon,
  freePort,
  imageRuntime,
  spawnDaemon,
  stopDaemon,
  tail,
  waitUntil,
} from "@kafka-edge/lib/testing";
import { Kafka, logLevel } from "kafkajs";
import { silenceKafkajsTimerWarning } from "@kafka-edge/lib";
import { type Bridge, ensureBridge, startBridge } from "../bridge/bridge.ts";
import type { LoadResult } from "./closed_loop.ts";
import { ensureWrk, runWrkLoad } from "./wrk_client.ts";
import {
  createCleanups,
  createProgress,
  describeLoad,
  describeMachine,
  fmt,
  formatReport,
  formatTable,
  type GoalResult,
  machineInfo,
  processMemory,
  processName,
  type ProcessUsage,
  recordLoad,
  sleep,
  takeJsonFlag,
  writeJson,
} from "./report.ts";

const usage = `usage: deno task bench:producer [--quick] [--json [path]] [--no-bridge] [--no-stand-in]
       [--warmup-ms N] [--duration-ms N] [--cpu-prof DIR] [--client wrk|deno] [--pairs N]

  --quick         short windows (whole run ≤ 60 s); numbers are indicative only
  --json [path]   also write the full report as JSON (default path: bench_producer.json)
  --no-bridge     skip the Strimzi Kafka Bridge rows
  --no-stand-in   if io.strimzi:kafka-bridge cannot be fetched, skip the bridge rows instead of
                  measuring the stand-in (tools/bridge/stand_in)
  --cpu-prof DIR  run the gateway under --cpu-prof and leave its .cpuprofile in DIR
                  (summarise it with: deno run -A tools/bench/cpu_profile.ts DIR/*.cpuprofile)
  --client C      the HTTP load generator: wrk (default; Debian's, installed when missing, else the bench
                  falls back to deno and says so) or deno (tools/bench/load_client.ts, which spends up
                  to a core of its own on 2 cores)
  --pairs N       measure raw kafkajs and the gateway's batched rows N more times back to back (default
                  2, 0 with --quick); the batched goals take the median ratio of all pairs
  --only IDS      measure only these rows (comma-separated: raw, raw-unlimited, raw-platformatic,
                  gw-v1-batched, gw-v1-single, gw-v2-batched, gw-v2-single, gw-pk-v1-batched,
                  gw-pk-v1-single, floor-single, bridge-batched, bridge-single), e.g. to profile one
                  load shape`;

/** The shapes of load: what one POST carries. */
const EVENT_BYTES = 250;
const BATCH = 100;
const PARTITIONS = 6;
/** Concurrent 100-event requests (and raw kafkajs sends): 1,600 events in flight. */
const BATCH_CONNECTIONS = 16;
/** Concurrent one-event requests, as the task defines the single-event load. */
const SINGLE_CONNECTIONS = 64;
const GATEWAY_RSS_LIMIT_MB = 256;
/** Bounds each load run by count as well as by time. */
const MAX_REQUESTS = 10_000_000;
const WARMUP_TOPIC = "bench-warmup";
const RAW_LABEL = "raw kafkajs, maxInFlight 1 (as the gateway)";

/** One measured row. */
interface Row {
  readonly id: string;
  readonly label: string;
  readonly system: "kafkajs" | "platformatic" | "gateway" | "floor" | "bridge";
  readonly shape: "batched" | "single";
  readonly result: LoadResult;
  /** The process under test (gateway or bridge) and the broker, over the window. */
  readonly server?: ProcessUsage;
  readonly broker?: ProcessUsage;
  /** Kafka sends the gateway made in the window and their mean size, from its /metrics. */
  readonly sends?: { readonly count: number; readonly meanRecords: number };
}

function parseCli() {
  const args = [...Deno.args];
  const json = takeJsonFlag(args, "bench_producer.json");
  const { values } = parseArgs({
    args,
    options: {
      "quick": { type: "boolean", default: false },
      "no-bridge": { type: "boolean", default: false },
      "no-stand-in": { type: "boolean", default: false },
      "warmup-ms": { type: "string" },
      "duration-ms": { type: "string" },
      "cpu-prof": { type: "string" },
      "only": { type: "string" },
      "client": { type: "string" },
      "pairs": { type: "string" },
      "help": { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    Deno.exit(0);
  }
  const warmupMs = Number(values["warmup-ms"] ?? (values.quick ? 1_000 : 3_000));
  const durationMs = Number(values["duration-ms"] ?? (values.quick ? 3_000 : 15_000));
  if (!(warmupMs >= 0 && durationMs >= 1000 && durationMs <= 600_000)) {
    console.error(`--warmup-ms must be ≥ 0 and --duration-ms 1000..600000\n${usage}`);
    Deno.exit(2);
  }
  const client = values.client ?? "wrk";
  if (client !== "wrk" && client !== "deno") {
    console.error(`--client must be wrk or deno; got ${client}\n${usage}`);
    Deno.exit(2);
  }
  const pairs = Number(values.pairs ?? (values.quick ? 0 : 2));
  if (!Number.isInteger(pairs) || pairs < 0 || pairs > 10) {
    console.error(`--pairs must be 0..10; got ${values.pairs}\n${usage}`);
    Deno.exit(2);
  }
  return {
    client: client as "wrk" | "deno",
    /** wrk was the default, not asked for: without it the bench may fall back to the Deno client. */
    clientChosen: values.client !== undefined,
    pairs,
    quick: values.quick,
    json,
    bridge: !values["no-bridge"],
    standIn: !values["no-stand-in"],
    warmupMs,
    durationMs,
    brokerWarmupMs: values.quick ? 3_000 : 8_000,
    cpuProf: values["cpu-prof"],
    only: values.only === undefined ? undefined : new Set(values.only.split(",")),
  };
}

/** A ~250-byte JSON event, as a page-view style analytics event would be. */
function makeEvent(i: number): Record<string, unknown> {
  const base = {
    type: "page_view",
    user: `u-${(100000 + i).toString(36)}`,
    session: crypto.randomUUID(),
    path: `/products/${i % 997}/reviews`,
    referrer: "https://example.com/search?q=kafka",
    pad: "",
  };
  const missing = EVENT_BYTES - new TextEncoder().encode(JSON.stringify(base)).byteLength;
  return { ...base, pad: "x".repeat(Math.max(0, missing)) };
}

/** The request bodies, written to files the load clients read. */
async function writeBodies(dir: string) {
  const events = Array.from({ length: BATCH }, (_, i) => makeEvent(i));
  const files = {
    event: `${dir}/event.json`,
    v1Batch: `${dir}/v1_batch.json`,
    v1Single: `${dir}/v1_single.json`,
    v2Batch: `${dir}/v2_batch.json`,
    v2Single: `${dir}/v2_single.json`,
  };
  await Deno.writeTextFile(files.event, JSON.stringify(events[0]));
  await Deno.writeTextFile(files.v1Batch, JSON.stringify(events));
  await Deno.writeTextFile(files.v1Single, JSON.stringify(events[0]));
  await Deno.writeTextFile(files.v2Batch, JSON.stringify({ records: events.map((value) => ({ value })) }));
  await Deno.writeTextFile(files.v2Single, JSON.stringify({ records: [{ value: events[0] }] }));
  return files;
}

const V2_JSON = "application/vnd.kafka.json.v2+json";

/** Runs a Deno helper script (load client or raw producer) tied to our lifetime; returns its JSON answer. */
async function runHelper(script: string, args: string[], timeoutMs: number): Promise<LoadResult> {
  const child = new Deno.Command("setpriv", {
    args: ["--pdeathsig", "KILL", "--", Deno.execPath(), "run", "-A", "--quiet", script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, timeoutMs);
  try {
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      const stderr = new TextDecoder().decode(out.stderr);
      throw new Error(`${script} failed (${out.code ?? out.signal}):\n${stderr.slice(-3000)}`);
    }
    return JSON.parse(stdout.slice(stdout.lastIndexOf("\n") + 1));
  } finally {
    clearTimeout(timer);
  }
}

/** The broker JVM of the fixture, found by its data directory on the command line. */
function brokerPid(kafka: KafkaFixture): number | undefined {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (
        cmdline.includes("kafka.Kafka") && cmdline.includes(kafka.dir) && processName(+entry.name) === "java"
      ) {
        return Number(entry.name);
      }
    } catch {
      // Exited while we looked.
    }
  }
  return undefined;
}

async function createTopics(bootstrap: string, topics: readonly string[]): Promise<void> {
  silenceKafkajsTimerWarning();
  const admin = new Kafka({ brokers: [bootstrap], clientId: "kafka-edge-bench", logLevel: logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** `edge_producer_batch_records` sum and count from the gateway's /metrics. */
async function batchCounters(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) =>
    Number(text.match(new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, "m"))?.[1] ?? NaN);
  return { sum: read("edge_producer_batch_records_sum"), count: read("edge_producer_batch_records_count") };
}

interface Gateway {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  close(): Promise<void>;
}

async function startGateway(
  bootstrap: string,
  topics: readonly string[],
  dir: string,
  cpuProf: string | undefined,
  client: "kafkajs" | "platformatic" = "kafkajs",
): Promise<Gateway> {
  const port = freePort();
  return await startDenoServer(
    `gateway-${client}`,
    new URL("../../producer/main.ts", import.meta.url),
    [],
    {
      KAFKA_BROKERS: bootstrap,
      KAFKA_CLIENT: client,
      HOST: "127.0.0.1",
      PORT: String(port),
      TOPICS: topics.join(","),
      AUTH_METHODS: "none",
      DEV_MODE: "true",
      LOG_LEVEL: "warn",
      // With authentication off every client is one principal: lift its default 10,000 events/s limit,
      // which would otherwise be what this benchmark measures.
      RATE_LIMIT_PER_SECOND: "1000000000",
      RATE_LIMIT_BURST: "1000000000",
    },
    port,
    dir,
    cpuProf,
  );
}

/** tools/bench/floor_gateway.ts (see there): the stack's floor for one-event requests. */
async function startFloor(bootstrap: string, topic: string, dir: string): Promise<Gateway> {
  const port = freePort();
  const args = [
    "--brokers",
    bootstrap,
    "--topic",
    topic,
    "--port",
    String(port),
    "--partitions",
    String(PARTITIONS),
  ];
  return await startDenoServer("floor", new URL("./floor_gateway.ts", import.meta.url), args, {}, port, dir);
}

/** Starts a Deno HTTP server as the gateway's image runs it and waits until its /readyz answers 200. */
async function startDenoServer(
  name: string,
  main: URL,
  args: readonly string[],
  env: Record<string, string>,
  port: number,
  dir: string,
  cpuProf?: string,
): Promise<Gateway> {
  const logFile = `${dir}/${name}.log`;
  const prof = cpuProf === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`];
  // As the image runs it (its V8 heap cap and malloc arenas): RSS is only the image's RSS then.
  const image = await imageRuntime(new URL("../../producer/Dockerfile", import.meta.url));
  const v8 = image.v8Flags === undefined ? [] : [`--v8-flags=${image.v8Flags}`];
  // Deno.execPath() is the deno binary itself (not an npx wrapper), so the daemon's pid is the server's.
  const daemon: Daemon = spawnDaemon({
    cmd: Deno.execPath(),
    args: ["run", "-A", ...v8, ...prof, main.pathname, ...args],
    logFile,
    env: { ...image.env, ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  let exited: Deno.CommandStatus | undefined;
  daemon.status.then((s) => exited = s);
  const close = () => stopDaemon(daemon, 25_000);
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`the ${name} exited with code ${exited.code}`);
        const res = await fetch(`${url}/readyz`);
        await res.body?.cancel();
        return res.ok;
      },
      { timeoutMs: 60_000, what: `the ${name} on ${url}` },
      () => tail(logFile, 40),
    );
    if (exited) throw new Error(`the ${name} exited with code ${exited.code}\n${await tail(logFile, 40)}`);
    const comm = processName(daemon.pid);
    if (comm !== "deno") {
      throw new Error(`expected the ${name}'s pid ${daemon.pid} to be deno, found ${comm}`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { url, pid: daemon.pid, logFile, close };
}

function versionOf(file: URL, pattern: RegExp): string {
  try {
    return Deno.readTextFileSync(file).match(pattern)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) ? undefined : a / b;
}

/** A goal "measured ratio ≥ min", not measured when `x` is undefined. */
function ratioGoal(goal: string, x: number | undefined, detail: string, min: number): GoalResult {
  return {
    goal,
    actual: x === undefined ? "not measured" : `${x.toFixed(2)} ×${detail}`,
    pass: x === undefined ? undefined : x >= min,
  };
}

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function evaluateGoals(rows: readonly Row[]): GoalResult[] {
  const get = (id: string) => rows.find((r) => r.id === id);
  const eps = (id: string) => get(id)?.result.eventsPerSecond;
  const p99 = (id: string) => get(id)?.result.latency.p99;
  const goals: GoalResult[] = [];
  // v1 writes each event as a keyed CloudEvent (6 ce_* headers); the v2 route writes the value alone, as
  // the raw client does, so it isolates the gateway's own overhead from the bigger records.
  // Each batched row against the raw row measured right before it (see --pairs): the median of the pairs.
  const paired = (id: string): [number | undefined, string] => {
    const pairs = [ratio(eps(id), eps("raw"))];
    for (let k = 2; get(`raw#${k}`) && get(`${id}#${k}`); k++) {
      pairs.push(ratio(eps(`${id}#${k}`), eps(`raw#${k}`)));
    }
    const spread = pairs.length > 1
      ? ` median of ${pairs.length} pairs (${pairs.map((x) => x?.toFixed(2)).join(", ")})`
      : "";
    return [median(pairs.filter((x) => x !== undefined)), spread];
  };
  goals.push(ratioGoal("gateway batched (v1) ≥ 0.85 × raw kafkajs", ...paired("gw-v1-batched"), 0.85));
  goals.push(
    ratioGoal(
      "gateway batched (v2 route, same record shape) ≥ 0.85 × raw kafkajs",
      ...paired("gw-v2-batched"),
      0.85,
    ),
  );
  for (const shape of ["batched", "single"] as const) {
    const gw = `gw-v2-${shape}`;
    const br = `bridge-${shape}`;
    const x = ratio(eps(gw), eps(br));
    const gwP99 = p99(gw);
    const brP99 = p99(br);
    const name = get(br)?.label ?? "bridge";
    goals.push({
      goal: `gateway ≥ 3 × ${name.replace(/,.*$/, "")} events/s, p99 ≤ its p99 (${shape}, v2 route)`,
      actual: x === undefined || gwP99 === undefined || brP99 === undefined
        ? "not measured"
        : `${x.toFixed(2)} ×; p99 ${fmt(gwP99, 1)} vs ${fmt(brP99, 1)} ms`,
      pass: x === undefined || gwP99 === undefined || brP99 === undefined
        ? undefined
        : x >= 3 && gwP99 <= brP99,
    });
  }
  goals.push(
    ratioGoal(
      "gateway single-event ≥ 0.5 × batched",
      ratio(eps("gw-v1-single"), eps("gw-v1-batched")),
      "",
      0.5,
    ),
  );
  // The same two goals with KAFKA_CLIENT=platformatic (kafkajs stays the default and the rows above).
  goals.push(
    ratioGoal(
      "gateway on @platformatic/kafka batched (v1) ≥ 0.85 × raw kafkajs",
      ratio(eps("gw-pk-v1-batched"), eps("raw")),
      "",
      0.85,
    ),
  );
  goals.push(
    ratioGoal(
      "gateway on @platformatic/kafka single-event ≥ 0.5 × its batched",
      ratio(eps("gw-pk-v1-single"), eps("gw-pk-v1-batched")),
      "",
      0.5,
    ),
  );
  const gatewayRows = rows.filter((r) => r.system === "gateway" && r.server);
  const rss = Math.max(...gatewayRows.map((r) => Math.max(r.server!.rssMaxMb, r.server!.hwmMb)));
  goals.push({
    goal: `gateway RSS ≤ ${GATEWAY_RSS_LIMIT_MB} MB at max load`,
    actual: gatewayRows.length === 0 ? "not measured" : `${fmt(rss)} MB peak (VmHWM)`,
    pass: gatewayRows.length === 0 ? undefined : rss <= GATEWAY_RSS_LIMIT_MB,
  });
  return goals;
}

/** What the floor row says about the single-event goal, when the rows to say it were measured. */
function describeFloor(rows: readonly Row[]): string | undefined {
  const eps = (id: string) => rows.find((r) => r.id === id)?.result.eventsPerSecond;
  const floor = eps("floor-single");
  const batched = eps("gw-v1-batched");
  if (floor === undefined || batched === undefined) return undefined;
  const single = eps("gw-v1-single");
  return `floor: one-event requests through Deno.serve + the gateway's batcher and kafkajs sender alone ` +
    `(same linger, one Produce request in flight) reach ${fmt(floor)} events/s, ` +
    `${ratio(floor, batched)!.toFixed(2)} × the gateway's batched row, with no work of the gateway's own` +
    (single === undefined
      ? "."
      : `; the gateway's single-event row is ${ratio(single, floor)!.toFixed(2)} × it.`);
}

function rowsTable(rows: readonly Row[]): string {
  return formatTable<Row>([
    { title: "row", value: (r) => r.label, align: "left" },
    { title: "conns", value: (r) => String(r.result.connections) },
    { title: "events/s", value: (r) => fmt(r.result.eventsPerSecond) },
    { title: "req/s", value: (r) => fmt(r.result.requestsPerSecond) },
    { title: "p50 ms", value: (r) => fmt(r.result.latency.p50, 2) },
    { title: "p99 ms", value: (r) => fmt(r.result.latency.p99, 2) },
    { title: "RSS MB", value: (r) => r.server ? `${fmt(r.server.rssMaxMb)} / ${fmt(r.server.hwmMb)}` : "–" },
    { title: "server CPU", value: (r) => r.server ? `${fmt(r.server.cpuPercent)} %` : "–" },
    { title: "broker CPU", value: (r) => r.broker ? `${fmt(r.broker.cpuPercent)} %` : "–" },
    { title: "client CPU", value: (r) => `${fmt(r.result.usage[0]?.cpuPercent)} %` },
    {
      // CPU per event of the process doing the work (the gateway or bridge; for raw rows the client): unlike
      // events/s it barely moves when other work shares the machine.
      title: "CPU µs/event",
      value: (r) => fmt((r.server ?? r.result.usage[0])?.cpuSeconds * 1e6 / r.result.events, 1),
    },
    { title: "records/send", value: (r) => r.sends ? fmt(r.sends.meanRecords, 1) : "–" },
    {
      title: "errors",
      value: (r) => Object.entries(r.result.errors).map(([k, v]) => `${k}×${v}`).join(" ") || "0",
      align: "left",
    },
  ], rows);
}

async function main(): Promise<void> {
  const cli = parseCli();
  const started = new Date();
  const load = recordLoad();
  const machine = machineInfo();
  const versions = {
    deno: Deno.version.deno,
    kafka: versionOf(new URL("../kafka/pom.xml", import.meta.url), /<kafka\.version>([^<]+)</),
    kafkajs: versionOf(new URL("../../deno.json", import.meta.url), /npm:kafkajs@([^"]+)"/),
    bridge: "not run",
  };
  const perRowMs = cli.warmupMs + cli.durationMs + 700;
  const rowCount = (cli.only?.size ?? 7 + (cli.bridge ? 2 : 0)) + 3 * cli.pairs;
  const progress = createProgress(
    12_000 + cli.brokerWarmupMs + rowCount * perRowMs + (cli.bridge ? 6_000 : 0) + 3_000,
  );
  const dir = await Deno.makeTempDir({ prefix: "kafka-edge-bench-" });
  const cleanups = createCleanups(progress, "the gateway, bridge and Kafka");
  cleanups.push(() => Deno.remove(dir, { recursive: true }).catch(() => {}));

  const rows: Row[] = [];
  const notes: string[] = [];
  let gatewayIdle: { rssMb: number; hwmMb: number } | undefined;
  // "raw#2" is a repeat of row "raw" (see --pairs).
  const wanted = (id: string) => cli.only === undefined || cli.only.has(id.replace(/#\d+$/, ""));
  try {
    if (cli.client === "wrk") {
      try {
        await ensureWrk();
      } catch (err) {
        if (cli.clientChosen) throw err;
        cli.client = "deno";
        notes.push(
          `wrk is not available (${err instanceof Error ? err.message : err}): the HTTP rows use the Deno ` +
            "load client, whose own CPU (up to a core) is taken from the machine the gateway runs on.",
        );
      }
    }
    progress.step("starting Kafka", 12_000);
    const kafka = await startKafka();
    cleanups.push(() => kafka.close());
    const broker = brokerPid(kafka);
    const topics = {
      raw: "bench-raw",
      rawUnlimited: "bench-raw-unlimited",
      rawPlatformatic: "bench-raw-platformatic",
      pkV1Batched: "bench-gw-pk-v1-batched",
      pkV1Single: "bench-gw-pk-v1-single",
      v1Batched: "bench-gw-v1-batched",
      v1Single: "bench-gw-v1-single",
      v2Batched: "bench-gw-v2-batched",
      v2Single: "bench-gw-v2-single",
      floorSingle: "bench-floor-single",
      bridgeBatched: "bench-bridge-batched",
      bridgeSingle: "bench-bridge-single",
    };
    await createTopics(kafka.bootstrap, [...Object.values(topics), WARMUP_TOPIC]);
    const bodies = await writeBodies(dir);
    const window = ["--warmup-ms", String(cli.warmupMs), "--duration-ms", String(cli.durationMs)];
    const helperTimeout = cli.warmupMs + cli.durationMs + 60_000;
    const loadClient = new URL("./load_client.ts", import.meta.url).pathname;
    const rawProducer = new URL("./raw_producer.ts", import.meta.url).pathname;

    const finish = (row: Row): void => {
      rows.push(row);
      load.sample();
      const r = row.result;
      const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
      progress.note(
        `${row.label}: ${fmt(r.eventsPerSecond)} events/s, p50 ${fmt(r.latency.p50, 2)} ms, p99 ${
          fmt(r.latency.p99, 2)
        } ms${errors ? `, ${errors} errors (${r.errorSample})` : ""}`,
      );
    };

    const split = (result: LoadResult, serverPid?: number) => {
      const find = (pid: number | undefined) =>
        pid === undefined ? undefined : result.usage.find((u) => u.pid === pid);
      return { server: find(serverPid), broker: find(broker) };
    };

    // A fresh broker JVM runs interpreted code for its first seconds: warm it up before the first row, or
    // that row (raw kafkajs) measures the JIT and the rows after it look better than they are.
    progress.step("warming up the broker", cli.brokerWarmupMs + 700);
    await runHelper(rawProducer, [
      "--brokers",
      kafka.bootstrap,
      "--topic",
      WARMUP_TOPIC,
      "--partitions",
      String(PARTITIONS),
      "--event-file",
      bodies.event,
      "--max-in-flight",
      "unlimited",
      "--warmup-ms",
      "0",
      "--duration-ms",
      String(cli.brokerWarmupMs),
    ], helperTimeout);

    const rawRow = async (
      id: string,
      label: string,
      topic: string,
      inFlight: "1" | "unlimited",
      client: "kafkajs" | "platformatic",
    ): Promise<void> => {
      progress.step(label, perRowMs);
      const result = await runHelper(rawProducer, [
        "--brokers",
        kafka.bootstrap,
        "--topic",
        topic,
        "--partitions",
        String(PARTITIONS),
        "--concurrency",
        String(BATCH_CONNECTIONS),
        "--batch",
        String(BATCH),
        "--event-file",
        bodies.event,
        "--max-in-flight",
        inFlight,
        "--client",
        client,
        "--watch-pids",
        broker === undefined ? "" : String(broker),
        ...window,
      ], helperTimeout);
      finish({ id, label, system: client, shape: "batched", result, ...split(result) });
    };
    for (
      const [id, label, topic, inFlight, client] of [
        ["raw", RAW_LABEL, topics.raw, "1", "kafkajs"],
        ["raw-unlimited", "raw kafkajs, maxInFlight unlimited", topics.rawUnlimited, "unlimited", "kafkajs"],
        [
          "raw-platformatic",
          "raw @platformatic/kafka (idempotent)",
          topics.rawPlatformatic,
          "1",
          "platformatic",
        ],
      ] as const
    ) {
      if (wanted(id)) await rawRow(id, label, topic, inFlight, client);
    }

    const httpRow = async (
      id: string,
      label: string,
      system: "gateway" | "floor" | "bridge",
      shape: "batched" | "single",
      url: string,
      body: string,
      contentType: string,
      pid: number,
      metricsUrl?: string,
    ): Promise<void> => {
      if (!wanted(id)) return;
      progress.step(label, perRowMs);
      const before = metricsUrl ? await batchCounters(metricsUrl) : undefined;
      const events = shape === "batched" ? BATCH : 1;
      const connections = shape === "batched" ? BATCH_CONNECTIONS : SINGLE_CONNECTIONS;
      const watchPids = [pid, broker].filter((p) => p !== undefined);
      const result = cli.client === "wrk"
        ? await runWrkLoad({
          url,
          bodyFile: body,
          contentType,
          events,
          connections,
          warmupMs: cli.warmupMs,
          durationMs: cli.durationMs,
          maxRequests: MAX_REQUESTS,
          watchPids,
        })
        : await runHelper(loadClient, [
          "--url",
          url,
          "--body-file",
          body,
          "--content-type",
          contentType,
          "--events",
          String(events),
          "--connections",
          String(connections),
          "--max-requests",
          String(MAX_REQUESTS),
          "--watch-pids",
          watchPids.join(","),
          ...window,
        ], helperTimeout);
      // The counters include the warm-up: they give the mean batch size, not a per-window rate.
      const after = metricsUrl ? await batchCounters(metricsUrl) : undefined;
      const sends = before && after
        ? {
          count: after.count - before.count,
          meanRecords: (after.sum - before.sum) / (after.count - before.count),
        }
        : undefined;
      finish({ id, label, system, shape, result, sends, ...split(result, pid) });
      // Let in-flight sends settle so one row's tail does not land in the next row's window.
      await sleep(500);
    };

    const v2 = (base: string, topic: string) => `${base}/topics/${topic}`;
    const gatewayRows = [
      ["gw-v1-batched", "gateway v1, 100 events/request", "batched", "v1", topics.v1Batched, bodies.v1Batch],
      ["gw-v1-single", "gateway v1, 1 event/request", "single", "v1", topics.v1Single, bodies.v1Single],
      [
        "gw-v2-batched",
        "gateway v2 route, 100 records/request",
        "batched",
        "v2",
        topics.v2Batched,
        bodies.v2Batch,
      ],
      [
        "gw-v2-single",
        "gateway v2 route, 1 record/request",
        "single",
        "v2",
        topics.v2Single,
        bodies.v2Single,
      ],
    ] as const;
    type GatewayRow = readonly [string, string, "batched" | "single", "v1" | "v2", string, string];
    const measureGateway = async (client: "kafkajs" | "platformatic", rows: readonly GatewayRow[]) => {
      if (!rows.some(([id]) => wanted(id))) return;
      progress.step(`starting the gateway${client === "kafkajs" ? "" : ` on @platformatic/kafka`}`, 3_000);
      if (cli.cpuProf) await Deno.mkdir(cli.cpuProf, { recursive: true });
      const gateway = await startGateway(kafka.bootstrap, Object.values(topics), dir, cli.cpuProf, client);
      cleanups.push(() => gateway.close());
      if (client === "kafkajs") gatewayIdle = processMemory(gateway.pid);
      const run = async ([, , shape, route, topic, body]: GatewayRow, id: string, label: string) => {
        const url = route === "v1" ? `${gateway.url}/v1/topics/${topic}/events` : v2(gateway.url, topic);
        const type = route === "v1" ? "application/json" : V2_JSON;
        await httpRow(id, label, "gateway", shape, url, body, type, gateway.pid, gateway.url);
      };
      for (const row of rows) await run(row, row[0], row[1]);
      // Raw kafkajs and the gateway's batched rows again, back to back: on a shared machine the throughput of
      // one row can move by a third between rows a minute apart, so the goals take the median ratio of these
      // adjacent runs.
      const batched = rows.filter(([id, , shape]) => shape === "batched" && wanted(id));
      if (client === "kafkajs" && wanted("raw") && batched.length > 0) {
        for (let k = 2; k <= cli.pairs + 1; k++) {
          await rawRow(`raw#${k}`, `${RAW_LABEL} (pair ${k})`, topics.raw, "1", "kafkajs");
          for (const row of batched) await run(row, `${row[0]}#${k}`, `${row[1]} (pair ${k})`);
        }
      }
      // The gateway is idle from here on; stop it so the next rows get the machine it had (and so a
      // --cpu-prof profile is written now).
      await gateway.close();
    };
    await measureGateway("kafkajs", gatewayRows);
    if (wanted("floor-single")) {
      progress.step("starting the floor (Deno.serve + the gateway's batcher and sender)", 3_000);
      const floor = await startFloor(kafka.bootstrap, topics.floorSingle, dir);
      cleanups.push(() => floor.close());
      await httpRow(
        "floor-single",
        "floor: Deno.serve + batcher + sender, 1 event/request",
        "floor",
        "single",
        `${floor.url}/v1/topics/${topics.floorSingle}/events`,
        bodies.v1Single,
        "application/json",
        floor.pid,
      );
      await floor.close();
    }
    // The same gateway writing through @platformatic/kafka (KAFKA_CLIENT=platformatic), the issue's "row for
    // another client behind the same port": only the sender differs.
    await measureGateway("platformatic", [
      [
        "gw-pk-v1-batched",
        "gateway on @platformatic/kafka, v1, 100 events/request",
        "batched",
        "v1",
        topics.pkV1Batched,
        bodies.v1Batch,
      ],
      [
        "gw-pk-v1-single",
        "gateway on @platformatic/kafka, v1, 1 event/request",
        "single",
        "v1",
        topics.pkV1Single,
        bodies.v1Single,
      ],
    ]);

    if (cli.bridge && (wanted("bridge-batched") || wanted("bridge-single"))) {
      progress.step("fetching and starting the bridge", 6_000);
      let bridge: Bridge | undefined;
      try {
        const jars = await ensureBridge(cli.standIn);
        versions.bridge = jars.kind === "strimzi"
          ? `Strimzi Kafka Bridge ${jars.version}`
          : `stand-in (${jars.version})`;
        if (jars.reason) {
          notes.push(
            `io.strimzi:kafka-bridge could not be fetched (${jars.reason}); the bridge rows measure ` +
              "tools/bridge/stand_in instead: the bridge's producer path on its own libraries without its " +
              "per-request extras, an upper bound for the real bridge.",
          );
        }
        bridge = await startBridge({ jars, bootstrap: kafka.bootstrap, dir });
        const b = bridge;
        cleanups.push(() => b.close());
        const name = b.kind === "strimzi" ? "Strimzi bridge" : "bridge stand-in";
        await httpRow(
          "bridge-batched",
          `${name}, 100 records/request`,
          "bridge",
          "batched",
          v2(b.url, topics.bridgeBatched),
          bodies.v2Batch,
          V2_JSON,
          b.pid,
        );
        await httpRow(
          "bridge-single",
          `${name}, 1 record/request`,
          "bridge",
          "single",
          v2(b.url, topics.bridgeSingle),
          bodies.v2Single,
          V2_JSON,
          b.pid,
        );
      } catch (err) {
        notes.push(`bridge rows skipped: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
        progress.note(`# bridge rows skipped: ${err instanceof Error ? err.message : err}`);
      }
    }
  } finally {
    progress.step("stopping", 3_000);
    await cleanups.run();
    progress.done();
  }

  const goals = evaluateGoals(rows);
  const floor = describeFloor(rows);
  if (floor) notes.push(floor);
  const loadSummary = load.finish();
  const loadInfo = describeLoad(
    loadSummary,
    machine.cpus,
    "the bench itself accounts for about 2-3; re-run on a quiet machine.",
  );
  if (loadInfo.note) notes.push(loadInfo.note);
  if (cli.quick) notes.push("--quick: short windows, numbers are indicative only.");
  const header = [
    `# kafka-edge producer benchmark, ${started.toISOString()}`,
    describeMachine(machine),
    `versions: Deno ${versions.deno}, Kafka ${versions.kafka} (1 KRaft node), kafkajs ${versions.kafkajs}, ` +
    `bridge: ${versions.bridge}`,
    `load: ${PARTITIONS}-partition topics, ${EVENT_BYTES} B JSON events, batched = ${BATCH} events/request ` +
    `on ${BATCH_CONNECTIONS} connections, single = 1 event/request on ${SINGLE_CONNECTIONS} connections, ` +
    `all synchronous (acks=all); warm-up ${cli.warmupMs / 1000} s, window ${
      cli.durationMs / 1000
    } s per row; ` +
    `HTTP load from ${cli.client === "wrk" ? "wrk (1 thread)" : "tools/bench/load_client.ts"}`,
    `gateway RSS when idle after start-up: ${fmt(gatewayIdle?.rssMb)} MB`,
    loadInfo.line,
  ];
  console.log(formatReport(header, rowsTable(rows), goals, notes));
  if (cli.json) {
    await writeJson(cli.json, {
      started: started.toISOString(),
      machine,
      versions,
      settings: {
        quick: cli.quick,
        warmupMs: cli.warmupMs,
        durationMs: cli.durationMs,
        eventBytes: EVENT_BYTES,
        batch: BATCH,
        partitions: PARTITIONS,
        batchConnections: BATCH_CONNECTIONS,
        singleConnections: SINGLE_CONNECTIONS,
        loadClient: cli.client,
      },
      loadAverage: { start: loadSummary.start, end: loadSummary.end, samples: loadSummary.samples },
      gatewayIdle,
      rows,
      goals,
      notes,
    });
    console.error(`# wrote ${cli.json}`);
  }
}

if (import.meta.main) await main();
