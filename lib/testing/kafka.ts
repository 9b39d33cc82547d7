/**
 * A real Apache Kafka for tests and local development: 1..N KRaft nodes (combined broker+controller) on
 * free 127.0.0.1 ports, jars from Maven Central cached under the fixture cache, data in a temp dir.
 *
 *   await using k = await startKafka({ brokers: 3 });
 *   await k.kill(2); await k.restart(2);
 */
import { Kafka, logLevel } from "kafkajs";
import { silenceKafkajsTimerWarning } from "../kafka.ts";
import { run } from "./cache.ts";
import { ensureMavenJars, pomProperty } from "./maven.ts";
import { generateTestCerts, type TestCerts } from "./certs.ts";
import { type Daemon, freePorts, spawnDaemon, stopDaemon, tail, waitUntil } from "./process.ts";

/** Options for {@link startKafka}. */
export interface KafkaFixtureOptions {
  /** Number of KRaft nodes, each broker and controller. Default 1. */
  readonly brokers?: number;
  /** Adds a SASL_PLAINTEXT listener with SCRAM-SHA-512 and SCRAM-SHA-256 users. */
  readonly scram?: boolean;
  /** Adds SSL and SASL_SSL listeners with a generated CA. */
  readonly tls?: boolean;
  /** SCRAM users (name → password). Default: one `admin` user with a random password. */
  readonly users?: Readonly<Record<string, string>>;
  /** Extra or overriding broker properties. */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  /** PLAINTEXT port of node 1 (e.g. 9092 for local development); the others get free ports. */
  readonly port?: number;
  /** JVM heap per node in MiB. Default 512. */
  readonly heapMb?: number;
  /** How long to wait for the cluster to answer metadata requests. Default 90 s. */
  readonly readyTimeoutMs?: number;
}

/** One KRaft node of the fixture. */
export interface KafkaNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly saslPort?: number;
  readonly tlsPort?: number;
  readonly saslTlsPort?: number;
  readonly dir: string;
  readonly logFile: string;
}

/** A running local Kafka cluster. */
export interface KafkaFixture extends AsyncDisposable {
  /** PLAINTEXT bootstrap list, `127.0.0.1:p1,127.0.0.1:p2`. */
  readonly bootstrap: string;
  readonly nodes: readonly KafkaNode[];
  readonly dir: string;
  /** Present with `scram: true`: SASL_PLAINTEXT bootstrap and the users' credentials. */
  readonly sasl?: { readonly bootstrap: string; readonly users: Readonly<Record<string, string>> };
  /** Present with `tls: true`: SSL and SASL_SSL bootstrap lists and the CA that signed the brokers. */
  readonly tls?: { readonly bootstrap: string; readonly saslBootstrap?: string; readonly certs: TestCerts };
  /** SIGKILL a node (no controlled shutdown). */
  kill(id: number): Promise<void>;
  /** SIGTERM a node and wait for its controlled shutdown. */
  stop(id: number): Promise<void>;
  /** Start a stopped or killed node again and wait until it serves metadata. */
  restart(id: number): Promise<void>;
  isRunning(id: number): boolean;
  /** Stop every node and delete the data. */
  close(): Promise<void>;
}

const POM_URL = new URL("../../tools/kafka/pom.xml", import.meta.url);

/** Makes sure the broker jars are in the cache; returns the directory holding them. */
export async function ensureKafkaJars(): Promise<string> {
  const version = pomProperty(await Deno.readTextFile(POM_URL), "kafka.version");
  return await ensureMavenJars(POM_URL, `kafka/${version}`);
}

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(18)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

function clusterId(): string {
  // KRaft cluster ids are 16 random bytes in unpadded base64url.
  const b64 = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  return b64.replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

const LOG4J = `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = WARN
`;

function nodeProperties(
  node: KafkaNode,
  all: readonly KafkaNode[],
  opts: KafkaFixtureOptions,
  certs: TestCerts | undefined,
): string {
  const n = all.length;
  const rf = Math.min(3, n);
  const listeners = [`PLAINTEXT://127.0.0.1:${node.port}`];
  const advertised = [`PLAINTEXT://127.0.0.1:${node.port}`];
  if (node.saslPort) {
    listeners.push(`SASL://127.0.0.1:${node.saslPort}`);
    advertised.push(`SASL://127.0.0.1:${node.saslPort}`);
  }
  if (node.tlsPort) {
    listeners.push(`TLS://127.0.0.1:${node.tlsPort}`);
    advertised.push(`TLS://127.0.0.1:${node.tlsPort}`);
  }
  if (node.saslTlsPort) {
    listeners.push(`SASL_TLS://127.0.0.1:${node.saslTlsPort}`);
    advertised.push(`SASL_TLS://127.0.0.1:${node.saslTlsPort}`);
  }
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": node.id,
    "controller.quorum.voters": all.map((x) => `${x.id}@127.0.0.1:${x.controllerPort}`).join(","),
    "listeners": [...listeners, `CONTROLLER://127.0.0.1:${node.controllerPort}`].join(","),
    "advertised.listeners": advertised.join(","),
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map":
      "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL:SASL_PLAINTEXT,TLS:SSL,SASL_TLS:SASL_SSL",
    "log.dirs": `${node.dir}/data`,
    "offsets.topic.replication.factor": rf,
    // Fewer offsets partitions make the first group join in a test seconds faster.
    "offsets.topic.num.partitions": 10,
    "transaction.state.log.replication.factor": rf,
    "transaction.state.log.min.isr": Math.min(2, rf),
    "share.coordinator.state.topic.replication.factor": rf,
    "share.coordinator.state.topic.min.isr": Math.min(2, rf),
    "default.replication.factor": rf,
    "group.initial.rebalance.delay.ms": 0,
    // Fence a dead broker after 3 s instead of 9 s, so failover tests spend their time on failover.
    "broker.heartbeat.interval.ms": 500,
    "broker.session.timeout.ms": 3000,
    "unclean.leader.election.enable": false,
  };
  if (opts.scram) {
    props["sasl.enabled.mechanisms"] = "SCRAM-SHA-512,SCRAM-SHA-256";
    for (const listener of ["sasl", "sasl_tls"]) {
      for (const mech of ["scram-sha-512", "scram-sha-256"]) {
        props[`listener.name.${listener}.${mech}.sasl.jaas.config`] =
          "org.apache.kafka.common.security.scram.ScramLoginModule required;";
      }
    }
  }
  if (certs) {
    props["ssl.keystore.type"] = "PEM";
    props["ssl.keystore.location"] = certs.serverKeystoreFile;
    props["ssl.truststore.type"] = "PEM";
    props["ssl.truststore.location"] = certs.caFile;
    props["ssl.client.auth"] = "none";
  }
  Object.assign(props, opts.brokerConfig ?? {});
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/** Starts a local Kafka cluster and waits until every node serves metadata. */
export async function startKafka(opts: KafkaFixtureOptions = {}): Promise<KafkaFixture> {
  const count = opts.brokers ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 9) {
    throw new Error(`brokers must be 1..9; got ${count}`);
  }
  const libs = await ensureKafkaJars();
  const dir = await Deno.makeTempDir({ prefix: "kafka-edge-kafka-" });
  const certs = opts.tls ? await generateTestCerts(`${dir}/certs`) : undefined;
  const users = opts.scram ? { ...(opts.users ?? { admin: randomSecret() }) } : {};
  const perNode = 2 + (opts.scram ? 1 : 0) + (opts.tls ? 1 : 0) + (opts.tls && opts.scram ? 1 : 0);
  const ports = freePorts(count * perNode);
  if (opts.port !== undefined) {
    if (ports.includes(opts.port)) {
      throw new Error(`port ${opts.port} collides with a picked port; try again`);
    }
    ports[0] = opts.port;
  }
  const nodes: KafkaNode[] = [];
  for (let i = 0; i < count; i++) {
    let next = i * perNode;
    const nodeDir = `${dir}/node-${i + 1}`;
    nodes.push({
      id: i + 1,
      port: ports[next++],
      controllerPort: ports[next++],
      saslPort: opts.scram ? ports[next++] : undefined,
      tlsPort: opts.tls ? ports[next++] : undefined,
      saslTlsPort: opts.tls && opts.scram ? ports[next++] : undefined,
      dir: nodeDir,
      logFile: `${nodeDir}/server.log`,
    });
  }
  const id = clusterId();
  const classpath = `${libs}/*`;
  const heap = opts.heapMb ?? 512;
  const scramArgs = Object.entries(users).flatMap(([name, password]) =>
    ["SCRAM-SHA-512", "SCRAM-SHA-256"].flatMap((
      m,
    ) => ["--add-scram", `${m}=[name=${name},password=${password}]`])
  );
  await Promise.all(nodes.map(async (node) => {
    await Deno.mkdir(`${node.dir}/data`, { recursive: true });
    await Deno.writeTextFile(`${node.dir}/server.properties`, nodeProperties(node, nodes, opts, certs));
    await Deno.writeTextFile(`${node.dir}/log4j2.properties`, LOG4J);
    await run("java", [
      "-Xmx256m",
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "format",
      // "=" form: a random id may start with "-", which the CLI would take for an option.
      `--cluster-id=${id}`,
      "-c",
      `${node.dir}/server.properties`,
      ...scramArgs,
    ]);
  }));

  const procs = new Map<number, Daemon>();
  function launch(node: KafkaNode): void {
    procs.set(
      node.id,
      spawnDaemon({
        cmd: "java",
        args: [
          `-Xms${Math.min(heap, 256)}m`,
          `-Xmx${heap}m`,
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          "-XX:+ExitOnOutOfMemoryError",
          "-Djava.awt.headless=true",
          `-Dkafka.logs.dir=${node.dir}`,
          `-Dlog4j2.configurationFile=${node.dir}/log4j2.properties`,
          "-cp",
          classpath,
          "kafka.Kafka",
          `${node.dir}/server.properties`,
        ],
        logFile: `${node.dir}/stdout.log`,
      }),
    );
  }
  const timeoutMs = opts.readyTimeoutMs ?? 90_000;
  async function describeNode(node: KafkaNode): Promise<string> {
    return `--- node ${node.id} stdout.log\n${await tail(
      `${node.dir}/stdout.log`,
      20,
    )}\n--- node ${node.id} server.log\n${await tail(node.logFile, 30)}`;
  }
  async function awaitServing(node: KafkaNode, expectBrokers: number): Promise<void> {
    const exited = procs.get(node.id)!.status.then((s) => s);
    let dead: Deno.CommandStatus | undefined;
    exited.then((s) => dead = s);
    await waitUntil(
      async () => {
        if (dead) throw new Error(`node ${node.id} exited with code ${dead.code}`);
        return (await brokersSeenBy(node.port)) >= expectBrokers;
      },
      { timeoutMs, what: `Kafka node ${node.id} on 127.0.0.1:${node.port}` },
      () => describeNode(node),
    );
    if (dead) throw new Error(`node ${node.id} exited with code ${dead.code}\n${await describeNode(node)}`);
  }

  nodes.forEach(launch);
  const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  const fixture: KafkaFixture = {
    bootstrap,
    nodes,
    dir,
    sasl: opts.scram
      ? { bootstrap: nodes.map((n) => `127.0.0.1:${n.saslPort}`).join(","), users }
      : undefined,
    tls: certs
      ? {
        bootstrap: nodes.map((n) => `127.0.0.1:${n.tlsPort}`).join(","),
        saslBootstrap: opts.scram ? nodes.map((n) => `127.0.0.1:${n.saslTlsPort}`).join(",") : undefined,
        certs,
      }
      : undefined,
    async kill(nodeId) {
      const proc = procs.get(nodeId);
      if (!proc) throw new Error(`node ${nodeId} is not running`);
      proc.kill("SIGKILL");
      await proc.status;
      procs.delete(nodeId);
    },
    async stop(nodeId) {
      const proc = procs.get(nodeId);
      if (!proc) throw new Error(`node ${nodeId} is not running`);
      await stopDaemon(proc, 30_000);
      procs.delete(nodeId);
    },
    async restart(nodeId) {
      const node = nodes.find((n) => n.id === nodeId);
      if (!node) throw new Error(`no node ${nodeId}`);
      if (procs.has(nodeId)) await fixture.stop(nodeId);
      launch(node);
      await awaitServing(node, 1);
      await waitUntil(() => brokerListed(node.port, nodeId), {
        timeoutMs,
        what: `node ${nodeId} registered`,
      });
    },
    isRunning(nodeId) {
      return procs.has(nodeId);
    },
    async close() {
      await Promise.all([...procs.values()].map((p) => stopDaemon(p, 10_000)));
      procs.clear();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    [Symbol.asyncDispose]() {
      return fixture.close();
    },
  };
  try {
    await Promise.all(nodes.map((n) => awaitServing(n, count)));
  } catch (err) {
    await fixture.close();
    throw err;
  }
  return fixture;
}

async function withAdmin<T>(port: number, fn: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  silenceKafkajsTimerWarning();
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: "kafka-edge-fixture",
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function brokersSeenBy(port: number): Promise<number> {
  return await withAdmin(port, async (admin) => (await admin.describeCluster()).brokers.length);
}

async function brokerListed(port: number, id: number): Promise<boolean> {
  return await withAdmin(
    port,
    async (admin) => (await admin.describeCluster()).brokers.some((b) => b.nodeId === id),
  );
}
