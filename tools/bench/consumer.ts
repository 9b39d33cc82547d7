/**
 * `deno task bench:consumer [--quick] [--json [path]] [--events N] [--no-postgres] [--no-opensearch]`: the
 * consumer side measured side by side on one local Kafka (KRaft, loopback), one machine, one run, one
 * pre-filled topic (12 partitions of ~250 B binary-mode CloudEvents, as the gateway writes them):
 *
 * 1. raw kafkajs (tools/bench/consumer_raw.ts): `eachBatch` doing nothing but resolving and committing,
 *    the client ceiling;
 * 2. the worker (`consumer/main.ts`, a subprocess) with SINK=noop (records acknowledged untouched, so
 *    never decoded: the runtime's own cost), and with SINK=stdout, a constant one-character template and
 *    stdout on /dev/null (every record decoded into its CloudEvent: what decoding adds);
 * 3. the worker into PostgreSQL (SINK=postgres) and into OpenSearch (SINK=opensearch), both real servers
 *    from lib/testing on 127.0.0.1.
 *
 * Every row consumes the whole topic with a fresh consumer group from earliest. The bench polls the group's
 * committed offsets (admin.fetchOffsets, which only reads) every 50 ms: events/s is the records committed
 * between the first poll that sees a commit and the poll that sees all of them, over that time; CPU and
 * RSS of the consuming process are read from /proc over the same window. Prints a Markdown table and the
 * goals (PASS/FAIL, never asserted) on stdout, a progress bar on stderr, and with --json the whole report.
 * Every wait is bounded, and every process it starts dies with it.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import {
  type KafkaFixture,
  type OpenSearchServer,
  type PostgresServer,
  startKafka,
  startOpenSearch,
  startPostgres,
} from "@kafka-edge/lib/testing";
import { freePort, parseImageRuntime } from "@kafka-edge/lib/testing";
import {
  type Child,
  descendants,
  fillTopic,
  type OffsetReader,
  offsetReader,
  spawnDeno,
  watchGroupCpu,
} from "./consumer_support.ts";
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
  processName,
  type ProcessUsage,
  recordLoad,
  sleep,
  takeJsonFlag,
  watchProcesses,
  writeJson,
} from "./report.ts";

const usage = `usage: deno task bench:consumer [--quick] [--json [path]] [--events N] [--only IDS]
       [--no-postgres] [--no-opensearch] [--row-timeout-ms N] [--cpu-prof DIR]

  --quick           100,000 events, one setting per row kind (about a minute, most of it the OpenSearch
                    row and the servers' start-up; indicative only)
  --json [path]     also write the full report as JSON (default path: bench_consumer.json)
  --events N        events in the pre-filled topic (default 1,000,000; --quick 100,000)
  --only IDS        measure only these rows (comma-separated ids, printed with --list)
  --list            print the row ids of the chosen plan and exit
  --no-postgres     skip the PostgreSQL rows (and do not start PostgreSQL)
  --no-opensearch   skip the OpenSearch rows (and do not start OpenSearch)
  --row-timeout-ms  give up on a row after this long (default 300000; --quick 15000, which only the
                    OpenSearch row reaches); its rate is then computed from what was committed until
                    then, and the row says so
  --cpu-prof DIR    run the worker rows under --cpu-prof and leave their .cpuprofile in DIR
                    (summarise: deno run -A tools/bench/cpu_profile.ts DIR/*.cpuprofile)`;

const EVENT_BYTES = 250;
const PARTITIONS = 12;
const TOPIC = "bench-consumer";
const POLL_MS = 50;
/** The one-character template that makes SINK=stdout as cheap as it gets while still decoding every event. */
const CHEAP_TEMPLATE = ".";

type SinkKind = "noop" | "stdout" | "postgres" | "opensearch";

/** One row of the plan. */
interface Plan {
  readonly id: string;
  readonly label: string;
  readonly kind: "raw" | "worker";
  readonly sink?: SinkKind;
  /** Worker BATCH_SIZE, or the raw consumer's --commit-every (0 = once per fetched batch). */
  readonly batchSize: number;
  readonly partitionsConcurrently: number;
}

/** One measured row. */
interface Row extends Plan {
  /** Records committed in the window and the window's length. */
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** From spawning the process to the last commit (start-up and group join included). */
  readonly totalSeconds: number;
  readonly complete: boolean;
  readonly consumer?: ProcessUsage;
  readonly brokerCpuSeconds?: number;
  readonly sinkCpuSeconds?: number;
  readonly error?: string;
  /** Set when the row hit --row-timeout-ms: its rate covers what was committed until then. */
  readonly capped?: string;
}

function raw(pc: number, commitEvery = 0): Plan {
  return {
    id: commitEvery ? `raw-pc${pc}-commit${commitEvery}` : `raw-pc${pc}`,
    label: commitEvery
      ? `raw kafkajs, commit every ${commitEvery} records`
      : "raw kafkajs eachBatch, commit per batch",
    kind: "raw",
    batchSize: commitEvery,
    partitionsConcurrently: pc,
  };
}

function worker(sink: SinkKind, batchSize: number, pc: number): Plan {
  const what = {
    noop: "worker, noop sink (no decoding)",
    stdout: `worker, stdout "${CHEAP_TEMPLATE}" → /dev/null`,
    postgres: "worker → PostgreSQL",
    opensearch: "worker → OpenSearch",
  }[sink];
  return {
    id: `${sink}-b${batchSize}-pc${pc}`,
    label: what,
    kind: "worker",
    sink,
    batchSize,
    partitionsConcurrently: pc,
  };
}

function plan(quick: boolean): Plan[] {
  if (quick) {
    // One setting per sink, the best of the full run's sweep, so the whole run stays near a minute.
    return [
      raw(4),
      worker("noop", 1000, 4),
      worker("stdout", 1000, 4),
      worker("postgres", 1000, 4),
      worker("opensearch", 1000, 4),
    ];
  }
  return [
    raw(1),
    raw(4),
    raw(1, 100),
    worker("noop", 100, 1),
    worker("noop", 1000, 4),
    worker("stdout", 100, 1),
    worker("stdout", 1000, 1),
    worker("stdout", 1000, 4),
    worker("postgres", 100, 1),
    worker("postgres", 1000, 4),
    worker("postgres", 1000, 12),
    worker("opensearch", 1000, 4),
  ];
}

function parseCli() {
  const args = [...Deno.args];
  const json = takeJsonFlag(args, "bench_consumer.json");
  const { values } = parseArgs({
    args,
    options: {
      "quick": { type: "boolean", default: false },
      "events": { type: "string" },
      "only": { type: "string" },
      "list": { type: "boolean", default: false },
      "no-postgres": { type: "boolean", default: false },
      "no-opensearch": { type: "boolean", default: false },
      "row-timeout-ms": { type: "string" },
      "cpu-prof": { type: "string" },
      "help": { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    Deno.exit(0);
  }
  const events = Number(values.events ?? (values.quick ? 100_000 : 1_000_000));
  const rowTimeoutMs = Number(values["row-timeout-ms"] ?? (values.quick ? 15_000 : 300_000));
  if (!(Number.isInteger(events) && events >= 1_000 && events <= 20_000_000)) {
    console.error(`--events must be an integer 1000..20000000\n${usage}`);
    Deno.exit(2);
  }
  if (!(rowTimeoutMs >= 5_000 && rowTimeoutMs <= 3_600_000)) {
    console.error(`--row-timeout-ms must be 5000..3600000\n${usage}`);
    Deno.exit(2);
  }
  const only = values.only === undefined ? undefined : new Set(values.only.split(","));
  const rows = plan(values.quick).filter((p) =>
    (only === undefined || only.has(p.id)) &&
    !(p.sink === "postgres" && values["no-postgres"]) &&
    !(p.sink === "opensearch" && values["no-opensearch"])
  );
  if (values.list) {
    for (const p of plan(values.quick)) console.log(`${p.id.padEnd(24)} ${p.label}`);
    Deno.exit(0);
  }
  return { quick: values.quick, json, events, rowTimeoutMs, rows, cpuProf: values["cpu-prof"] };
}

function versionOf(file: URL, pattern: RegExp): string {
  try {
    return Deno.readTextFileSync(file).match(pattern)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Where the sinks are, once started. */
interface Services {
  readonly kafka: KafkaFixture;
  readonly postgres?: PostgresServer;
  readonly opensearch?: OpenSearchServer;
}

const brokerPids = () => descendants((comm, cmd) => comm === "java" && cmd.includes("kafka.Kafka"));
const postgresPids = () => descendants((comm) => comm === "postgres");
const openSearchPids = () =>
  descendants((comm, cmd) => comm === "java" && cmd.includes("org.opensearch.bootstrap.OpenSearch"));

function spawnRow(p: Plan, services: Services, group: string, maxMs: number, cpuProf?: string): Child {
  if (p.kind === "raw") {
    return spawnDeno(new URL("./consumer_raw.ts", import.meta.url).pathname, [
      "--brokers",
      services.kafka.bootstrap,
      "--topic",
      TOPIC,
      "--group",
      group,
      "--partitions-concurrently",
      String(p.partitionsConcurrently),
      "--commit-every",
      String(p.batchSize),
      "--max-ms",
      String(maxMs),
    ], {});
  }
  const table = `bench_${p.id.replaceAll("-", "_")}`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: services.kafka.bootstrap,
    GROUP_ID: group,
    TOPICS: TOPIC,
    SINK: p.sink!,
    START_FROM: "earliest",
    BATCH_SIZE: String(p.batchSize),
    PARTITIONS_CONCURRENTLY: String(p.partitionsConcurrently),
    HOST: "127.0.0.1",
    PORT: String(freePort()),
    LOG_LEVEL: "warn",
    STDOUT_TEMPLATE: CHEAP_TEMPLATE,
    SHUTDOWN_TIMEOUT: "20s",
  };
  if (p.sink === "postgres") {
    env.POSTGRES_URL = services.postgres!.url;
    env.POSTGRES_TABLE = table;
  }
  if (p.sink === "opensearch") {
    env.OPENSEARCH_URL = services.opensearch!.url;
    env.OPENSEARCH_INDEX = table.replaceAll("_", "-");
  }
  const prof = cpuProf === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`];
  // As the image runs the worker (its V8 flags and ENV), like the producer bench runs the gateway.
  const image = parseImageRuntime(
    Deno.readTextFileSync(new URL("../../consumer/Dockerfile", import.meta.url)),
  );
  const v8 = image.v8Flags === undefined ? [] : [`--v8-flags=${image.v8Flags}`];
  return spawnDeno(
    new URL("../../consumer/main.ts", import.meta.url).pathname,
    [],
    { ...image.env, ...env },
    [...v8, ...prof],
  );
}

/** Drops what a row wrote (its table or index), so the next row starts from the same empty state. */
async function dropSinkData(p: Plan, services: Services): Promise<void> {
  const name = `bench_${p.id.replaceAll("-", "_")}`;
  if (p.sink === "postgres" && services.postgres) {
    const client = new pg.Client({
      connectionString: services.postgres.url,
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    try {
      await client.query(`DROP TABLE IF EXISTS "${name}"`);
    } finally {
      await client.end();
    }
  }
  if (p.sink === "opensearch" && services.opensearch) {
    const res = await fetch(`${services.opensearch.url}/${name.replaceAll("_", "-")}`, {
      method: "DELETE",
      signal: AbortSignal.timeout(30_000),
    });
    await res.body?.cancel();
  }
}

/** Measures one row: spawn, poll the committed offsets until all `total` records are committed, stop. */
async function measure(
  p: Plan,
  services: Services,
  offsets: OffsetReader,
  total: number,
  timeoutMs: number,
  cpuProf: string | undefined,
): Promise<Row> {
  const group = `bench-${p.id}-${Date.now()}`;
  const spawned = performance.now();
  const child = spawnRow(p, services, group, timeoutMs + 30_000, cpuProf);
  const sinkPids = p.sink === "postgres"
    ? postgresPids
    : p.sink === "opensearch"
    ? openSearchPids
    : undefined;
  let t0: number | undefined;
  let c0 = 0;
  let last = { t: 0, c: 0 };
  let watch: ReturnType<typeof watchProcesses> | undefined;
  let broker: ReturnType<typeof watchGroupCpu> | undefined;
  let sink: ReturnType<typeof watchGroupCpu> | undefined;
  let error: string | undefined;
  let pollError: string | undefined;
  let capped: string | undefined;
  const deadline = spawned + timeoutMs;
  try {
    while (performance.now() < deadline) {
      const status = child.exited();
      if (status) {
        error = `exited with ${status.code}: ${child.stderrTail().trim().split("\n").slice(-3).join(" | ")}`;
        break;
      }
      const t = performance.now();
      let c: number;
      try {
        c = await offsets.committed(group);
      } catch (err) {
        // A fresh broker answers COORDINATOR_NOT_AVAILABLE until __consumer_offsets exists: poll again.
        pollError = err instanceof Error ? err.message : String(err);
        await sleep(POLL_MS);
        continue;
      }
      if (t0 === undefined && c > 0) {
        t0 = t;
        c0 = c;
        watch = watchProcesses([child.pid]);
        broker = watchGroupCpu(brokerPids);
        if (sinkPids) sink = watchGroupCpu(sinkPids);
      }
      last = { t, c };
      if (c >= total) break;
      await sleep(POLL_MS);
    }
    if (last.c < total && error === undefined) {
      capped = `stopped at the ${timeoutMs / 1000} s cap after ${fmt(last.c)} of ${fmt(total)} events${
        pollError ? ` (last poll error: ${pollError})` : ""
      }`;
    }
  } catch (err) {
    error = `bench error: ${err instanceof Error ? err.message : String(err)}`;
  }
  {
    const usage = watch?.stop()[0];
    const brokerCpu = broker?.stop();
    const sinkCpu = sink?.stop();
    if (processName(child.pid) !== "deno" && !child.exited()) error ??= `pid ${child.pid} is not deno`;
    const status = await child.stop(25_000);
    if (error === undefined && status.code !== 0 && status.signal === null) {
      error = `exit code ${status.code} on SIGTERM: ${
        child.stderrTail().trim().split("\n").slice(-2).join(" | ")
      }`;
    }
    const seconds = t0 === undefined ? NaN : (last.t - t0) / 1000;
    const events = last.c - c0;
    return {
      ...p,
      events,
      seconds,
      eventsPerSecond: seconds > 0 ? events / seconds : NaN,
      totalSeconds: last.t === 0 ? NaN : (last.t - spawned) / 1000,
      complete: last.c >= total,
      consumer: usage,
      brokerCpuSeconds: brokerCpu,
      sinkCpuSeconds: sinkCpu,
      ...(error === undefined ? {} : { error }),
      ...(capped === undefined ? {} : { capped }),
    };
  }
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a) ? undefined : a / b;
}

/** The ceiling: the best raw row that commits per fetched batch. */
function ceiling(rows: readonly Row[]): Row | undefined {
  return rows.filter((r) => r.kind === "raw" && r.batchSize === 0 && r.complete)
    .sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0];
}

function best(rows: readonly Row[], sink: SinkKind): Row | undefined {
  return rows.filter((r) => r.sink === sink && r.complete).sort((a, b) =>
    b.eventsPerSecond - a.eventsPerSecond
  )[0];
}

function setting(r: Plan): string {
  return r.kind === "raw"
    ? `commit ${r.batchSize ? `every ${r.batchSize}` : "per batch"}, pc ${r.partitionsConcurrently}`
    : `BATCH_SIZE ${r.batchSize}, PC ${r.partitionsConcurrently}`;
}

function evaluateGoals(rows: readonly Row[]): GoalResult[] {
  const top = ceiling(rows);
  const goals: GoalResult[] = [];
  for (
    const [sink, factor, name] of [
      ["noop", 0.9, "worker, noop sink"],
      ["postgres", 0.5, "worker → PostgreSQL"],
    ] as const
  ) {
    const b = best(rows, sink);
    const x = ratio(b?.eventsPerSecond, top?.eventsPerSecond);
    goals.push({
      goal: `${name} ≥ ${factor} × raw kafkajs`,
      actual: x === undefined ? "not measured" : `${x.toFixed(2)} × (best: ${setting(b!)})`,
      pass: x === undefined ? undefined : x >= factor,
    });
  }
  return goals;
}

function rowsTable(rows: readonly Row[]): string {
  const top = ceiling(rows);
  return formatTable<Row>([
    { title: "row", value: (r) => r.label, align: "left" },
    { title: "setting", value: setting, align: "left" },
    { title: "events", value: (r) => fmt(r.events) },
    { title: "events/s", value: (r) => fmt(r.eventsPerSecond) },
    { title: "× raw", value: (r) => fmt(ratio(r.eventsPerSecond, top?.eventsPerSecond), 2) },
    { title: "consumer CPU", value: (r) => r.consumer ? `${fmt(r.consumer.cpuPercent)} %` : "–" },
    {
      title: "CPU µs/event",
      value: (r) => fmt(r.consumer ? r.consumer.cpuSeconds * 1e6 / r.events : undefined, 1),
    },
    {
      title: "RSS MB",
      value: (r) => r.consumer ? `${fmt(r.consumer.rssMaxMb)} / ${fmt(r.consumer.hwmMb)}` : "–",
    },
    { title: "broker CPU", value: (r) => fmt((r.brokerCpuSeconds ?? NaN) / r.seconds * 100) + " %" },
    {
      title: "sink CPU",
      value: (r) => r.sinkCpuSeconds === undefined ? "–" : `${fmt(r.sinkCpuSeconds / r.seconds * 100)} %`,
    },
    {
      // The sink server's CPU per event (all PostgreSQL processes, or the OpenSearch JVM).
      title: "sink µs/event",
      value: (r) => fmt(r.sinkCpuSeconds === undefined ? undefined : r.sinkCpuSeconds * 1e6 / r.events, 1),
    },
    { title: "start→done s", value: (r) => fmt(r.totalSeconds, 1) },
    { title: "note", value: (r) => r.error ?? r.capped ?? (r.complete ? "" : "incomplete"), align: "left" },
  ], rows);
}

async function main(): Promise<void> {
  const cli = parseCli();
  const started = new Date();
  const load = recordLoad();
  const machine = machineInfo();
  const needPostgres = cli.rows.some((r) => r.sink === "postgres");
  const needOpenSearch = cli.rows.some((r) => r.sink === "opensearch");
  const versions = {
    deno: Deno.version.deno,
    kafka: versionOf(new URL("../kafka/pom.xml", import.meta.url), /<kafka\.version>([^<]+)</),
    kafkajs: versionOf(new URL("../../deno.json", import.meta.url), /npm:kafkajs@([^"]+)"/),
    pg: versionOf(new URL("../../deno.json", import.meta.url), /npm:pg@([^"]+)"/),
    postgres: "not run",
    opensearch: "not run",
  };
  const perRowMs = Math.min(cli.rowTimeoutMs, 4_000 + cli.events / 20);
  const progress = createProgress(
    15_000 + cli.events / 40 + cli.rows.length * perRowMs + (needOpenSearch ? 20_000 : 0),
  );
  const cleanups = createCleanups(progress, "the consumers, sinks and Kafka");

  const rows: Row[] = [];
  const notes: string[] = [];
  let filled = 0;
  let fillSeconds = NaN;
  try {
    progress.step(
      `starting Kafka${needPostgres ? ", PostgreSQL" : ""}${needOpenSearch ? ", OpenSearch" : ""}`,
      15_000,
    );
    // The sinks start alongside Kafka and the fill, but every row is measured with all of them idle.
    const settle = <T extends { close(): Promise<void> }>(p: Promise<T>) =>
      p.then((s) => {
        cleanups.push(() => s.close());
        return s;
      }).catch((err: unknown) => err instanceof Error ? err : new Error(String(err)));
    const postgresP = needPostgres ? settle(startPostgres()) : undefined;
    const openSearchP = needOpenSearch ? settle(startOpenSearch()) : undefined;
    const kafka = await startKafka();
    cleanups.push(() => kafka.close());

    progress.step(
      `filling ${TOPIC}: ${fmt(cli.events)} events × ${EVENT_BYTES} B, ${PARTITIONS} partitions`,
      cli.events / 40,
    );
    const fillStart = performance.now();
    filled = await fillTopic({
      bootstrap: kafka.bootstrap,
      topic: TOPIC,
      partitions: PARTITIONS,
      count: cli.events,
      eventBytes: EVENT_BYTES,
    });
    fillSeconds = (performance.now() - fillStart) / 1000;
    const offsets = await offsetReader(kafka.bootstrap, TOPIC);
    cleanups.push(() => offsets.close());
    const total = await offsets.records();
    if (total !== filled) throw new Error(`the topic holds ${total} records, expected ${filled}`);

    let postgres: PostgresServer | undefined;
    let opensearch: OpenSearchServer | undefined;
    if (postgresP || openSearchP) progress.step("waiting for the sinks to start", 20_000);
    if (postgresP) {
      const p = await postgresP;
      if (p instanceof Error) notes.push(`PostgreSQL rows skipped: ${p.message.split("\n")[0]}`);
      else {
        postgres = p;
        const client = new pg.Client({ connectionString: p.url });
        await client.connect();
        versions.postgres = (await client.query("SHOW server_version")).rows[0].server_version;
        await client.end();
      }
    }
    if (openSearchP) {
      const o = await openSearchP;
      if (o instanceof Error) notes.push(`OpenSearch rows skipped: ${o.message.split("\n")[0]}`);
      else {
        opensearch = o;
        const info = await (await fetch(o.url)).json();
        versions.opensearch = info?.version?.number ?? "unknown";
      }
    }
    const services: Services = { kafka, postgres, opensearch };
    if (cli.cpuProf) await Deno.mkdir(cli.cpuProf, { recursive: true });
    // Let the start-up CPU of the JVMs die down so the first row is not measured against it.
    await sleep(cli.quick ? 1_000 : 5_000);

    for (const p of cli.rows) {
      if ((p.sink === "postgres" && !postgres) || (p.sink === "opensearch" && !opensearch)) continue;
      progress.step(`${p.label} (${setting(p)})`, perRowMs);
      const row = await measure(p, services, offsets, total, cli.rowTimeoutMs, cli.cpuProf);
      rows.push(row);
      load.sample();
      progress.note(
        `${row.label} (${setting(row)}): ${fmt(row.eventsPerSecond)} events/s, ${
          fmt(row.consumer ? row.consumer.cpuSeconds * 1e6 / row.events : undefined, 1)
        } CPU µs/event${row.error ? ` — ${row.error}` : ""}`,
      );
      await dropSinkData(p, services).catch((err) => notes.push(`could not drop ${p.id}'s data: ${err}`));
      await sleep(cli.quick ? 300 : 2_000);
    }
  } finally {
    progress.step("stopping", 3_000);
    await cleanups.run();
    progress.done();
  }

  const goals = evaluateGoals(rows);
  const loadSummary = load.finish();
  const loadInfo = describeLoad(
    loadSummary,
    machine.cpus,
    "treat events/s as rough and reason with CPU µs/event.",
  );
  if (loadInfo.note) notes.push(loadInfo.note);
  notes.push(
    `SINK=noop acknowledges records untouched, so the worker never decodes them; the stdout rows ` +
      `(STDOUT_TEMPLATE="${CHEAP_TEMPLATE}", stdout on /dev/null) decode every record into its CloudEvent ` +
      "(headers, attribute checks, JSON.parse of the data) and render one 2-byte line each.",
  );
  if (cli.quick) notes.push("--quick: a small topic and one setting per sink; numbers are indicative only.");
  const header = [
    `# kafka-edge consumer benchmark, ${started.toISOString()}`,
    describeMachine(machine),
    `versions: Deno ${versions.deno}, Kafka ${versions.kafka} (1 KRaft node), kafkajs ${versions.kafkajs}, ` +
    `pg ${versions.pg}, PostgreSQL ${versions.postgres}, OpenSearch ${versions.opensearch}`,
    `topic: ${fmt(filled)} binary-mode CloudEvents (${EVENT_BYTES} B JSON data), ${PARTITIONS} partitions, ` +
    `filled in ${fmt(fillSeconds, 1)} s; every row: a fresh group from earliest`,
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
        events: cli.events,
        eventBytes: EVENT_BYTES,
        partitions: PARTITIONS,
        pollMs: POLL_MS,
        rowTimeoutMs: cli.rowTimeoutMs,
        stdoutTemplate: CHEAP_TEMPLATE,
      },
      loadAverage: { start: loadSummary.start, end: loadSummary.end, samples: loadSummary.samples },
      rows,
      goals,
      notes,
    });
    console.error(`# wrote ${cli.json}`);
  }
}

if (import.meta.main) await main();
