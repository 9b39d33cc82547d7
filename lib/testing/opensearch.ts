/**
 * Real single-node OpenSearch for tests. The integ-test distribution (no security plugin, no
 * bundled JDK) is fetched from Maven Central by tools/opensearch/pom.xml, unpacked once into the
 * cache, and run on the system Java 17 with its own config/data in a temp dir.
 */
import { freePort } from "./process.ts";
import { cacheRoot, exists } from "./cache.ts";
import {
  chown,
  ensureJavaHome,
  ensureMaven,
  httpAnswers,
  makeServiceDir,
  run,
  spawnService,
  stageTree,
  unprivilegedUser,
  waitUntilReady,
  withInstallLock,
} from "./service_util.ts";

/** 2.19.x is the newest line that runs on Java 11/17; 3.x needs Java 21. */
export const OPENSEARCH_VERSION = "2.19.6";

export interface OpenSearchOptions {
  /** JVM heap, e.g. "512m"; small because the machines are shared. */
  readonly heap?: string;
  readonly readyTimeoutMs?: number;
}

export interface OpenSearchServer {
  /** http://127.0.0.1:port */
  readonly url: string;
  /** Stops the node and deletes its data directory. */
  close(): Promise<void>;
}

const POM = new URL("../../tools/opensearch/pom.xml", import.meta.url).pathname;

// Trimmed copy of the distribution's jvm.options: no GC log or heap dumps written to the cwd.
const JVM_OPTIONS = `-XX:+UseG1GC
-XX:G1ReservePercent=25
-XX:InitiatingHeapOccupancyPercent=30
-Djava.io.tmpdir=\${OPENSEARCH_TMPDIR}
-XX:-HeapDumpOnOutOfMemoryError
-Djava.util.concurrent.ForkJoinPool.common.threadFactory=org.opensearch.secure_sm.SecuredForkJoinWorkerThreadFactory
`;

export async function startOpenSearch(options: OpenSearchOptions = {}): Promise<OpenSearchServer> {
  const heap = options.heap ?? "512m";
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const [dist, javaHome] = await Promise.all([ensureDistribution(), ensureJavaHome()]);
  const runAs = unprivilegedUser();
  const dir = await makeServiceDir("kafka-edge-os-", runAs);
  const httpPort = freePort();
  const transportPort = freePort();

  // OpenSearch refuses to run as root; the unprivileged user cannot read the cache under /root.
  const home = runAs ? `${dir}/home` : dist;
  if (runAs) await stageTree(dist, home);
  await writeConfig(dist, dir, httpPort, transportPort);
  for (const sub of ["data", "logs", "tmp"]) await Deno.mkdir(`${dir}/${sub}`);
  // Not `chown -R dir`: the staged home is hard-linked to the cache and must stay root's.
  if (runAs) {
    for (const sub of ["config", "data", "logs", "tmp"]) await chown(`${dir}/${sub}`, runAs);
  }

  const node = spawnService({
    name: "opensearch",
    command: `${home}/bin/opensearch`,
    args: [],
    cwd: dir,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      OPENSEARCH_JAVA_HOME: javaHome,
      OPENSEARCH_PATH_CONF: `${dir}/config`,
      OPENSEARCH_TMPDIR: `${dir}/tmp`,
      // Appended after jvm.options, so these win.
      OPENSEARCH_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`,
    },
    runAs,
  });
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await waitUntilReady(
      node,
      () => httpAnswers(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, true),
      readyTimeoutMs,
    );
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }

  async function close(): Promise<void> {
    await node.stop("SIGTERM", 20_000);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return { url, close };
}

async function writeConfig(
  dist: string,
  dir: string,
  httpPort: number,
  transportPort: number,
): Promise<void> {
  await Deno.mkdir(`${dir}/config`);
  await Deno.copyFile(`${dist}/config/log4j2.properties`, `${dir}/config/log4j2.properties`);
  await Deno.writeTextFile(`${dir}/config/jvm.options`, JVM_OPTIONS);
  const settings = [
    "cluster.name: kafka-edge-test",
    "node.name: test-node",
    `path.data: ${dir}/data`,
    `path.logs: ${dir}/logs`,
    // Loopback only: this also keeps the production bootstrap checks (vm.max_map_count, ...) off.
    "network.host: 127.0.0.1",
    `http.port: ${httpPort}`,
    `transport.port: ${transportPort}`,
    "discovery.type: single-node",
    // Shared CI disks may be nearly full; never turn indices read-only for that in tests.
    "cluster.routing.allocation.disk.threshold_enabled: false",
  ];
  await Deno.writeTextFile(`${dir}/config/opensearch.yml`, settings.join("\n") + "\n");
}

/** Unpacks the distribution into the cache once; concurrent cold starts wait on a lock. */
async function ensureDistribution(): Promise<string> {
  const base = `${cacheRoot()}/opensearch`;
  const dist = `${base}/opensearch-${OPENSEARCH_VERSION}`;
  if (await exists(`${dist}/bin/opensearch`)) return dist;
  return await withInstallLock("opensearch", async () => {
    if (await exists(`${dist}/bin/opensearch`)) return dist;
    const mvn = await ensureMaven();
    const staging = `${base}/staging-${Deno.pid}`;
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.mkdir(base, { recursive: true });
    await run(mvn, [
      "-B",
      "-q",
      "-f",
      POM,
      "dependency:unpack-dependencies",
      `-Dopensearch.version=${OPENSEARCH_VERSION}`,
      `-Dkafka-edge.out=${staging}`,
    ], { timeoutMs: 900_000 });
    // Rename last so a half-unpacked tree is never mistaken for a complete one.
    await Deno.rename(`${staging}/opensearch-${OPENSEARCH_VERSION}`, dist);
    await Deno.remove(staging, { recursive: true });
    return dist;
  });
}
