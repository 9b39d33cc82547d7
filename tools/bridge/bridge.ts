/**
 * The Strimzi Kafka Bridge for the producer benchmark: jars fetched once from Maven Central with the pom
 * beside this file into the fixture cache (`KAFKA_EDGE_CACHE`, default ~/.cache/kafka-edge), then started
 * on a free 127.0.0.1 port with acks=all, tied to our lifetime like every fixture daemon.
 *
 * When io.strimzi:kafka-bridge cannot be resolved (a Maven mirror without it), the bench can fall back to
 * stand_in/bridge_stand_in.java: the bridge's producer path on the same libraries, minus its per-request
 * extras, so it bounds the real bridge's throughput from above. Every result names which one ran.
 */
import { ensureMavenJars, pomProperty } from "@kafka-edge/lib/testing";
import { type Daemon, freePort, spawnDaemon, stopDaemon, tail, waitUntil } from "@kafka-edge/lib/testing";

/** Which HTTP bridge runs. */
export type BridgeKind = "strimzi" | "stand-in";

/** A fetched bridge, ready to start. */
export interface BridgeJars {
  readonly kind: BridgeKind;
  /** e.g. "0.32.0", or "vertx 4.5.21 + kafka-clients 4.1.1" for the stand-in. */
  readonly version: string;
  readonly libs: string;
}

/** A running bridge. */
export interface Bridge extends AsyncDisposable {
  readonly kind: BridgeKind;
  readonly version: string;
  readonly url: string;
  /** The JVM's pid (setpriv and bash exec into it, so it is the java process itself). */
  readonly pid: number;
  readonly logFile: string;
  close(): Promise<void>;
}

const POM = new URL("./pom.xml", import.meta.url);
const STAND_IN_POM = new URL("./stand_in/pom.xml", import.meta.url);
const STAND_IN_SOURCE = new URL("./stand_in/bridge_stand_in.java", import.meta.url);

async function fetchJars(pomUrl: URL, name: string): Promise<{ libs: string; pom: string }> {
  return { libs: await ensureMavenJars(pomUrl, `bridge/${name}`), pom: await Deno.readTextFile(pomUrl) };
}

/**
 * Fetches the Strimzi bridge, or (with `allowStandIn`) the stand-in's libraries when the bridge cannot be
 * resolved; `reason` then says why the real one is missing.
 */
export async function ensureBridge(allowStandIn: boolean): Promise<BridgeJars & { reason?: string }> {
  try {
    const { libs, pom } = await fetchJars(POM, "strimzi");
    return { kind: "strimzi", version: pomProperty(pom, "bridge.version"), libs };
  } catch (err) {
    if (!allowStandIn) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // mvn words a missing artifact differently on the first try and on later (cached) ones.
    const artifact = message.match(/io\.strimzi:kafka-bridge:[\w.:-]+/)?.[0];
    const repository = message.match(/https?:\/\/[^\s)]+/)?.[0];
    const { libs, pom } = await fetchJars(STAND_IN_POM, "stand-in");
    return {
      kind: "stand-in",
      version: `vertx ${pomProperty(pom, "vertx.version")} + kafka-clients ${
        pomProperty(pom, "kafka.version")
      }`,
      libs,
      reason: artifact && repository
        ? `${artifact} is not in ${repository}`
        : message.split("\n").slice(0, 3).join(" "),
    };
  }
}

/** Options for {@link startBridge}. */
export interface StartBridgeOptions {
  readonly jars: BridgeJars;
  readonly bootstrap: string;
  /** Directory for the config and log. */
  readonly dir: string;
  readonly heapMb?: number;
  readonly readyTimeoutMs?: number;
}

/** Starts the bridge on a free port with acks=all and waits until it answers its readiness probe. */
export async function startBridge(opts: StartBridgeOptions): Promise<Bridge> {
  const port = freePort();
  const logFile = `${opts.dir}/bridge.log`;
  const heap = opts.heapMb ?? 512;
  const jvm = [`-Xms${Math.min(256, heap)}m`, `-Xmx${heap}m`, "-XX:+ExitOnOutOfMemoryError"];
  let daemon: Daemon;
  if (opts.jars.kind === "strimzi") {
    const config = `${opts.dir}/application.properties`;
    await Deno.writeTextFile(
      config,
      [
        "bridge.id=kafka-edge-bench",
        `kafka.bootstrap.servers=${opts.bootstrap}`,
        "kafka.producer.acks=all",
        "http.enabled=true",
        "http.host=127.0.0.1",
        `http.port=${port}`,
        "http.consumer.enabled=false",
        "http.producer.enabled=true",
        "",
      ].join("\n"),
    );
    daemon = spawnDaemon({
      cmd: "java",
      args: [
        ...jvm,
        "-cp",
        `${opts.jars.libs}/*`,
        "io.strimzi.kafka.bridge.Application",
        "--config-file",
        config,
      ],
      logFile,
    });
  } else {
    daemon = spawnDaemon({
      cmd: "java",
      args: [
        ...jvm,
        "-cp",
        `${opts.jars.libs}/*`,
        STAND_IN_SOURCE.pathname,
        "--bootstrap",
        opts.bootstrap,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--producer-config",
        "acks=all",
      ],
      logFile,
    });
  }
  const url = `http://127.0.0.1:${port}`;
  let exited: Deno.CommandStatus | undefined;
  daemon.status.then((s) => exited = s);
  const close = () => stopDaemon(daemon, 10_000);
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`the bridge exited with code ${exited.code}`);
        const res = await fetch(`${url}/ready`);
        await res.body?.cancel();
        return res.ok;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 60_000, what: `the bridge on ${url}` },
      () => tail(logFile, 40),
    );
    if (exited) throw new Error(`the bridge exited with code ${exited.code}\n${await tail(logFile, 40)}`);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    kind: opts.jars.kind,
    version: opts.jars.version,
    url,
    pid: daemon.pid,
    logFile,
    close,
    [Symbol.asyncDispose]: close,
  };
}
