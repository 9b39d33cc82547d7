/**
 * The deployment settings `deno task synth` reads (k8s/config.example.yaml shows every field): which Kafka
 * profile, which topics, which workers with which sinks, and which autoscaler. Parsed once, every problem
 * reported at once with its path, so a wrong file is fixed in one edit instead of one synth per mistake.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";

/** Kafka cluster shape: `dev` is one dual-role node, `prod` is 3 controllers + 3 brokers with RF 3. */
export type Profile = "dev" | "prod";
/** Who scales the workers: our lag operator (default) or KEDA's Kafka scaler. */
export type AutoscalerMode = "operator" | "keda";
/** The worker's SINK values (consumer/sinks/registry.ts). */
export const SINKS = ["stdout", "webhook", "postgres", "opensearch", "s3", "noop"] as const;
/** A worker's sink. */
export type SinkName = typeof SINKS[number];
/** The gateway's authentication methods (producer/config.ts); `none` is refused in manifests. */
export type AuthMethod = "api-key" | "jwt";

/** Container images; each is `<registry>/kafka-edge-<service>:<tag>`. */
export interface ImagesConfig {
  readonly registry: string;
  readonly pullPolicy: "IfNotPresent" | "Always";
  readonly gateway: { readonly tag: string };
  readonly worker: { readonly tag: string };
  readonly operator: { readonly tag: string };
}

/** The Strimzi-managed cluster. */
export interface KafkaSettings {
  /** Name of the Kafka resource; Strimzi derives `<name>-kafka-bootstrap` and secrets from it. */
  readonly clusterName: string;
  /** Kafka version Strimzi runs. */
  readonly version: string;
  /** Persistent volume size per broker (prod) or emptyDir limit (dev). */
  readonly storageSize: string;
  /** StorageClass for prod volumes; unset: the cluster default. */
  readonly storageClass?: string;
}

/** One topic the gateway accepts; each also gets a `<name>.dlq` dead-letter topic. */
export interface TopicConfig {
  readonly name: string;
  readonly partitions: number;
  readonly retentionHours: number;
  /** JSON pointer to the Kafka key in the payload (producer/topics.ts). */
  readonly keyPointer?: string;
  /** JSON pointer to the event id in the payload. */
  readonly idPointer?: string;
  /** JSON Schema every event must satisfy. */
  readonly schema?: Readonly<Record<string, unknown>>;
}

/** Min/max replicas of something an autoscaler owns. */
export interface ReplicaRange {
  readonly min: number;
  readonly max: number;
}

/** The HTTP gateway. */
export interface GatewayConfig {
  readonly replicas: ReplicaRange;
  readonly auth: readonly AuthMethod[];
  /** Existing Secret holding `api-keys.yaml` (made with `deno task apikey`); needed with api-key auth. */
  readonly apiKeysSecret?: string;
  readonly jwt?: {
    readonly issuer: string;
    readonly audience: string;
    /** Either a JWKS URL or an existing Secret with `jwks.json`. */
    readonly jwksUrl?: string;
    readonly jwksSecret?: string;
  };
  readonly ingress: {
    readonly enabled: boolean;
    readonly host: string;
    readonly className: string;
    /** Existing TLS Secret for the host; unset: plain HTTP at the ingress. */
    readonly tlsSecret?: string;
  };
  /** Extra gateway variables (producer/config.ts), e.g. RATE_LIMIT_PER_SECOND. */
  readonly env: Readonly<Record<string, string>>;
}

/** One consumer-group worker Deployment. */
export interface WorkerConfig {
  readonly name: string;
  readonly topics: readonly string[];
  readonly sink: SinkName;
  readonly replicas: ReplicaRange;
  /** Backlog one replica may have before another is added. */
  readonly lagPerReplica: number;
  /** Allow `replicas.min: 0` (the CRD refuses 0 without it); the autoscaler wakes the worker on lag. */
  readonly scaleToZero: boolean;
  /** Defaults to `<first topic>.dlq`; must be the dead-letter topic of one of `topics`. */
  readonly deadLetterTopic: string;
  /** Non-secret worker/sink variables (consumer/config.ts), e.g. STDOUT_FORMAT. */
  readonly env: Readonly<Record<string, string>>;
  /** Existing Secret whose keys become variables (e.g. POSTGRES_URL, WEBHOOK_SECRET). */
  readonly secretEnv?: string;
}

/** Everything one synth needs. */
export interface DeployConfig {
  readonly namespace: string;
  readonly profile: Profile;
  readonly autoscaler: AutoscalerMode;
  readonly images: ImagesConfig;
  readonly kafka: KafkaSettings;
  readonly topics: readonly TopicConfig[];
  readonly gateway: GatewayConfig;
  readonly workers: readonly WorkerConfig[];
}

/** A config file with problems; `problems` lists every one as `path: message`. */
export class DeployConfigError extends Error {
  constructor(readonly problems: readonly string[], source = "config") {
    super(`${source} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "DeployConfigError";
  }
}

// DNS-1123 label: what Kubernetes accepts as a Deployment/Service name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,200}$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

type Raw = Record<string, unknown>;

/** Collects problems while reading untyped YAML into typed values. */
class Reader {
  readonly problems: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  object(value: unknown, path: string): Raw {
    if (value === undefined || value === null) return {};
    if (typeof value === "object" && !Array.isArray(value)) return value as Raw;
    this.problem(path, `must be a mapping, got ${JSON.stringify(value)}`);
    return {};
  }

  /** Flags keys the schema does not know, which are almost always typos. */
  known(obj: Raw, path: string, keys: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!keys.includes(k)) this.problem(`${path}.${k}`, `unknown setting (known: ${keys.join(", ")})`);
    }
  }

  string(value: unknown, path: string, fallback?: string, pattern?: RegExp, expects?: string): string {
    if (value === undefined || value === null) {
      if (fallback === undefined) this.problem(path, "is required");
      return fallback ?? "";
    }
    if (typeof value !== "string" || value === "") {
      this.problem(path, `must be a non-empty string, got ${JSON.stringify(value)}`);
      return fallback ?? "";
    }
    if (pattern && !pattern.test(value)) {
      this.problem(path, `${expects ?? `must match ${pattern}`}, got "${value}"`);
    }
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  int(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.problem(path, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }

  bool(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") this.problem(path, `must be true or false, got ${JSON.stringify(value)}`);
    return typeof value === "boolean" ? value : fallback;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[], fallback: T): T {
    if (value === undefined || value === null) return fallback;
    if (typeof value === "string" && (options as readonly string[]).includes(value)) return value as T;
    this.problem(path, `must be one of ${options.join(", ")}, got ${JSON.stringify(value)}`);
    return fallback;
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.problem(path, `must be a list, got ${JSON.stringify(value)}`);
    return [];
  }

  env(value: unknown, path: string): Record<string, string> {
    const obj = this.object(value, path);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(k)) {
        this.problem(`${path}.${k}`, "must be an UPPER_SNAKE_CASE variable name");
      }
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
      else this.problem(`${path}.${k}`, `must be a string, number or boolean, got ${JSON.stringify(v)}`);
    }
    return out;
  }

  range(value: unknown, path: string, fallback: ReplicaRange, minFloor: number): ReplicaRange {
    const obj = this.object(value, path);
    this.known(obj, path, ["min", "max"]);
    const min = this.int(obj.min, `${path}.min`, fallback.min, minFloor, 1000);
    const max = this.int(obj.max, `${path}.max`, fallback.max, 1, 1000);
    if (min > max) this.problem(path, `min (${min}) must not exceed max (${max})`);
    return { min, max };
  }
}

function readImages(r: Reader, value: unknown): ImagesConfig {
  const obj = r.object(value, "images");
  r.known(obj, "images", ["registry", "tag", "pullPolicy", "gateway", "worker", "operator"]);
  const tag = r.string(obj.tag, "images.tag", "0.1.0");
  const imageTag = (name: string): { tag: string } => {
    const sub = r.object(obj[name], `images.${name}`);
    r.known(sub, `images.${name}`, ["tag"]);
    const t = r.string(
      sub.tag,
      `images.${name}.tag`,
      tag,
      /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
      "must be a tag",
    );
    // `latest` moves under a running Deployment: two replicas can run different code after a restart.
    if (t === "latest") r.problem(`images.${name}.tag`, 'must be a pinned version, not "latest"');
    return { tag: t };
  };
  return {
    registry: r.string(obj.registry, "images.registry", "ghcr.io/kafka-edge"),
    pullPolicy: r.oneOf(obj.pullPolicy, "images.pullPolicy", ["IfNotPresent", "Always"], "IfNotPresent"),
    gateway: imageTag("gateway"),
    worker: imageTag("worker"),
    operator: imageTag("operator"),
  };
}

function readKafka(r: Reader, value: unknown): KafkaSettings {
  const obj = r.object(value, "kafka");
  r.known(obj, "kafka", ["clusterName", "version", "storageSize", "storageClass"]);
  return {
    clusterName: r.string(obj.clusterName, "kafka.clusterName", "events", DNS_LABEL, "must be a DNS label"),
    version: r.string(
      obj.version,
      "kafka.version",
      "4.3.1",
      /^\d+\.\d+\.\d+$/,
      "must be a Kafka version x.y.z",
    ),
    storageSize: r.string(
      obj.storageSize,
      "kafka.storageSize",
      "20Gi",
      QUANTITY,
      "must be a quantity like 20Gi",
    ),
    storageClass: r.optionalString(obj.storageClass, "kafka.storageClass"),
  };
}

function readTopics(r: Reader, value: unknown): TopicConfig[] {
  const list = r.array(value, "topics");
  if (list.length === 0) r.problem("topics", "must list at least one topic");
  return list.map((item, i) => {
    const path = `topics[${i}]`;
    const obj = r.object(item, path);
    r.known(obj, path, ["name", "partitions", "retentionHours", "keyPointer", "idPointer", "schema"]);
    const name = r.string(obj.name, `${path}.name`, undefined, TOPIC_NAME, "must be a Kafka topic name");
    if (name.endsWith(".dlq")) {
      r.problem(`${path}.name`, "must not end in .dlq (dead-letter topics are added)");
    }
    const pointer = (key: string) => {
      const p = r.optionalString(obj[key], `${path}.${key}`);
      if (p !== undefined && !p.startsWith("/")) {
        r.problem(`${path}.${key}`, `must be a JSON pointer, got "${p}"`);
      }
      return p;
    };
    const schema = obj.schema === undefined ? undefined : r.object(obj.schema, `${path}.schema`);
    return {
      name,
      partitions: r.int(obj.partitions, `${path}.partitions`, 3, 1, 1000),
      retentionHours: r.int(obj.retentionHours, `${path}.retentionHours`, 168, 1, 24 * 3650),
      keyPointer: pointer("keyPointer"),
      idPointer: pointer("idPointer"),
      schema,
    };
  });
}

function readGateway(r: Reader, value: unknown): GatewayConfig {
  const obj = r.object(value, "gateway");
  r.known(obj, "gateway", ["replicas", "auth", "apiKeysSecret", "jwt", "ingress", "env"]);
  const auth = r.array(obj.auth ?? ["api-key"], "gateway.auth").map((m, i) =>
    r.oneOf(m, `gateway.auth[${i}]`, ["api-key", "jwt"] as const, "api-key")
  );
  if (auth.length === 0) {
    r.problem("gateway.auth", "must list api-key and/or jwt (manifests never turn auth off)");
  }
  const apiKeysSecret = r.optionalString(obj.apiKeysSecret, "gateway.apiKeysSecret");
  if (auth.includes("api-key") && apiKeysSecret === undefined) {
    r.problem("gateway.apiKeysSecret", "is required with api-key auth (a Secret holding api-keys.yaml)");
  }
  let jwt: GatewayConfig["jwt"];
  if (auth.includes("jwt")) {
    const j = r.object(obj.jwt, "gateway.jwt");
    r.known(j, "gateway.jwt", ["issuer", "audience", "jwksUrl", "jwksSecret"]);
    jwt = {
      issuer: r.string(j.issuer, "gateway.jwt.issuer"),
      audience: r.string(j.audience, "gateway.jwt.audience"),
      jwksUrl: r.optionalString(j.jwksUrl, "gateway.jwt.jwksUrl"),
      jwksSecret: r.optionalString(j.jwksSecret, "gateway.jwt.jwksSecret"),
    };
    if ((jwt.jwksUrl === undefined) === (jwt.jwksSecret === undefined)) {
      r.problem("gateway.jwt", "needs exactly one of jwksUrl and jwksSecret");
    }
  } else if (obj.jwt !== undefined) {
    r.problem("gateway.jwt", "is set but gateway.auth does not include jwt");
  }
  const ing = r.object(obj.ingress, "gateway.ingress");
  r.known(ing, "gateway.ingress", ["enabled", "host", "className", "tlsSecret"]);
  const enabled = r.bool(ing.enabled, "gateway.ingress.enabled", false);
  return {
    replicas: r.range(obj.replicas, "gateway.replicas", { min: 2, max: 10 }, 1),
    auth,
    apiKeysSecret,
    jwt,
    ingress: {
      enabled,
      host: r.string(ing.host, "gateway.ingress.host", "events.example.com"),
      className: r.string(ing.className, "gateway.ingress.className", "nginx"),
      tlsSecret: r.optionalString(ing.tlsSecret, "gateway.ingress.tlsSecret"),
    },
    env: r.env(obj.env, "gateway.env"),
  };
}

function readWorkers(r: Reader, value: unknown, topics: readonly TopicConfig[]): WorkerConfig[] {
  const known = new Set(topics.map((t) => t.name));
  return r.array(value, "workers").map((item, i) => {
    const path = `workers[${i}]`;
    const obj = r.object(item, path);
    r.known(obj, path, [
      "name",
      "topics",
      "sink",
      "replicas",
      "lagPerReplica",
      "scaleToZero",
      "deadLetterTopic",
      "env",
      "secretEnv",
    ]);
    const name = r.string(
      obj.name,
      `${path}.name`,
      undefined,
      DNS_LABEL,
      "must be a DNS label (a-z, 0-9, -)",
    );
    const workerTopics = r.array(obj.topics, `${path}.topics`).map((t, j) => {
      const topic = r.string(t, `${path}.topics[${j}]`);
      if (topic && !known.has(topic)) {
        r.problem(`${path}.topics[${j}]`, `"${topic}" is not one of topics[].name`);
      }
      return topic;
    });
    if (workerTopics.length === 0) r.problem(`${path}.topics`, "must list at least one topic");
    const deadLetterTopic = r.string(
      obj.deadLetterTopic,
      `${path}.deadLetterTopic`,
      `${workerTopics[0]}.dlq`,
    );
    if (workerTopics.length > 0 && !workerTopics.some((t) => `${t}.dlq` === deadLetterTopic)) {
      r.problem(
        `${path}.deadLetterTopic`,
        `must be the .dlq topic of one of its topics, got "${deadLetterTopic}"`,
      );
    }
    const scaleToZero = r.bool(obj.scaleToZero, `${path}.scaleToZero`, false);
    const replicas = r.range(obj.replicas, `${path}.replicas`, { min: 1, max: 10 }, 0);
    if (replicas.min === 0 && !scaleToZero) {
      r.problem(`${path}.replicas.min`, "may be 0 only with scaleToZero: true");
    }
    return {
      name,
      topics: workerTopics,
      sink: r.oneOf(obj.sink, `${path}.sink`, SINKS, "stdout"),
      replicas,
      lagPerReplica: r.int(obj.lagPerReplica, `${path}.lagPerReplica`, 1000, 1, 100_000_000),
      scaleToZero,
      deadLetterTopic,
      env: r.env(obj.env, `${path}.env`),
      secretEnv: r.optionalString(obj.secretEnv, `${path}.secretEnv`),
    };
  });
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/**
 * Turns parsed YAML into a {@link DeployConfig}, applying the documented defaults.
 * @throws {DeployConfigError} listing every problem found.
 */
export function parseDeployConfig(raw: unknown, source = "config"): DeployConfig {
  const r = new Reader();
  const obj = r.object(raw, "(root)");
  r.known(obj, "(root)", [
    "namespace",
    "profile",
    "autoscaler",
    "images",
    "kafka",
    "topics",
    "gateway",
    "workers",
  ]);
  const topics = readTopics(r, obj.topics);
  const workers = readWorkers(r, obj.workers, topics);
  for (const d of duplicates(topics.map((t) => t.name))) r.problem("topics", `"${d}" is listed twice`);
  for (const d of duplicates(workers.map((w) => w.name))) r.problem("workers", `"${d}" is listed twice`);
  const config: DeployConfig = {
    namespace: r.string(obj.namespace, "namespace", "kafka-edge", DNS_LABEL, "must be a DNS label"),
    profile: r.oneOf(obj.profile, "profile", ["dev", "prod"], "dev"),
    autoscaler: r.oneOf(obj.autoscaler, "autoscaler", ["operator", "keda"], "operator"),
    images: readImages(r, obj.images),
    kafka: readKafka(r, obj.kafka),
    topics,
    gateway: readGateway(r, obj.gateway),
    workers,
  };
  if (r.problems.length > 0) throw new DeployConfigError(r.problems, source);
  return config;
}

/** Reads and parses a YAML config file. */
export async function loadDeployConfig(path: string): Promise<DeployConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(await Deno.readTextFile(path));
  } catch (err) {
    throw new DeployConfigError([`(file): ${err instanceof Error ? err.message : String(err)}`], path);
  }
  return parseDeployConfig(raw, path);
}
