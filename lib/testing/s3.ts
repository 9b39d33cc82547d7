/**
 * Real S3-compatible server for tests: s3proxy (Maven Central, fetched with its dependencies by
 * tools/s3/pom.xml into the cache) with an in-memory blob store and AWS SigV2/V4 auth using fixed
 * keys, on a free 127.0.0.1 port.
 */
import { AwsClient } from "aws4fetch";
import { freePort } from "./process.ts";
import { cacheRoot, exists } from "./cache.ts";
import {
  ensureJavaHome,
  ensureMaven,
  httpAnswers,
  makeServiceDir,
  run,
  spawnService,
  waitUntilReady,
  withInstallLock,
} from "./service_util.ts";

export const S3PROXY_VERSION = "4.1.0";

export interface S3Options {
  /** Bucket to create before returning; exposed as `bucket`. */
  readonly bucket?: string;
  readonly readyTimeoutMs?: number;
}

export interface S3Server {
  /** http://127.0.0.1:port; use path-style addressing (forcePathStyle) with it. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket?: string;
  /** Creates a bucket with a SigV4-signed request. */
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

const POM = new URL("../../tools/s3/pom.xml", import.meta.url).pathname;
const REGION = "us-east-1";
const ACCESS_KEY_ID = "kafka-edge-test";
const SECRET_ACCESS_KEY = "kafka-edge-test-secret";

// s3proxy ships no logback.xml, so logback would default to DEBUG and flood the log tail.
const LOGBACK_XML = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`;

export async function startS3(options: S3Options = {}): Promise<S3Server> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const [libDir, javaHome] = await Promise.all([ensureS3Proxy(), ensureJavaHome()]);
  const dir = await makeServiceDir("kafka-edge-s3-");
  const port = freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const properties = [
    `s3proxy.endpoint=${endpoint}`,
    // Accept what real SDKs send: SigV4 (current) and V2 (older tools).
    "s3proxy.authorization=aws-v2-or-v4",
    `s3proxy.identity=${ACCESS_KEY_ID}`,
    `s3proxy.credential=${SECRET_ACCESS_KEY}`,
    // In memory: nothing to clean up, and no dependency on xattr support of the temp filesystem.
    "jclouds.provider=transient-nio2",
    "jclouds.identity=unused",
    "jclouds.credential=unused",
  ];
  await Deno.writeTextFile(`${dir}/s3proxy.conf`, properties.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/logback.xml`, LOGBACK_XML);

  // s3proxy is happy to run as root, so no privilege drop here.
  const server = spawnService({
    name: "s3proxy",
    command: `${javaHome}/bin/java`,
    args: [
      "-Xmx512m",
      `-Dlogback.configurationFile=${dir}/logback.xml`,
      "-cp",
      `${libDir}/*`,
      "org.gaul.s3proxy.Main",
      "--properties",
      `${dir}/s3proxy.conf`,
    ],
    cwd: dir,
  });
  try {
    // Jetty only listens once the S3 handler is installed, so any HTTP answer means ready.
    await waitUntilReady(server, () => httpAnswers(`${endpoint}/`), readyTimeoutMs);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }

  const client = new AwsClient({
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: REGION,
    service: "s3",
  });

  async function createBucket(name: string): Promise<void> {
    const response = await client.fetch(`${endpoint}/${encodeURIComponent(name)}`, { method: "PUT" });
    const body = await response.text();
    if (!response.ok) throw new Error(`create bucket ${name}: HTTP ${response.status} ${body}`);
  }

  async function close(): Promise<void> {
    await server.stop("SIGTERM", 10_000);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }

  try {
    if (options.bucket) await createBucket(options.bucket);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    endpoint,
    region: REGION,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    bucket: options.bucket,
    createBucket,
    close,
  };
}

/** Copies s3proxy and its runtime jars into the cache once; concurrent cold starts wait on a lock. */
async function ensureS3Proxy(): Promise<string> {
  const base = `${cacheRoot()}/s3`;
  const libDir = `${base}/s3proxy-${S3PROXY_VERSION}/lib`;
  const marker = `${libDir}/s3proxy-${S3PROXY_VERSION}.jar`;
  if (await exists(marker)) return libDir;
  return await withInstallLock("s3", async () => {
    if (await exists(marker)) return libDir;
    const mvn = await ensureMaven();
    const staging = `${base}/staging-${Deno.pid}`;
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${base}/s3proxy-${S3PROXY_VERSION}`, { recursive: true });
    await run(mvn, [
      "-B",
      "-q",
      "-f",
      POM,
      "dependency:copy-dependencies",
      `-Ds3proxy.version=${S3PROXY_VERSION}`,
      `-Dkafka-edge.out=${staging}`,
    ], { timeoutMs: 900_000 });
    // Rename last so a partial download is never mistaken for a complete one.
    await Deno.rename(staging, libDir);
    return libDir;
  });
}
