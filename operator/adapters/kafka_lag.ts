/**
 * Reads a consumer group's lag with the kafkajs admin client, read-only: `fetchTopicOffsets` for the
 * log-end offsets and `fetchOffsets` WITHOUT `resolveOffsets` for the committed ones (resolveOffsets
 * would commit offsets for the group, i.e. write). One client per autoscaler, built from the CR's
 * connection spec with SASL/TLS material read from Secrets, cached, and closed when the autoscaler goes
 * away or its connection spec changes. Every read is bounded so a dead cluster fails fast (fail-static).
 *
 * @module
 */
import { type Admin, Kafka, logLevel } from "kafkajs";
import {
  kafkajsLevel,
  kafkajsLogCreator,
  kafkaOptions,
  type KafkaSettings,
  type Logger,
  silenceKafkajsTimerWarning,
  type TlsMaterial,
} from "@kafka-edge/lib";
import type { ConsumerAutoscalerSpec, KafkaConnectionSpec, PartitionOffsets } from "../core/types.ts";
import type { LagPort, LagReading } from "../controller/ports.ts";

/** Reads one key of a Secret in `namespace`. */
export type SecretReader = (namespace: string, name: string, key: string) => Promise<string>;

/** Options for {@link createKafkaLagReader}. */
export interface LagReaderOptions {
  readonly readSecret: SecretReader;
  readonly log: Logger;
  /** Bound on one read, connect included (default 8 s). */
  readonly timeoutMs?: number;
  readonly clientId?: string;
}

/** A {@link LagPort} that can also close every client (at shutdown). */
export interface KafkaLagReader extends LagPort {
  closeAll(): Promise<void>;
}

interface Client {
  readonly fingerprint: string;
  readonly admin: Admin;
  connected?: Promise<void>;
}

/** kafkajs settings from a CR's connection spec and the secrets it references. */
export async function connectionSettings(
  namespace: string,
  conn: KafkaConnectionSpec,
  readSecret: SecretReader,
  clientId: string,
  timeoutMs: number,
): Promise<{ settings: KafkaSettings; tls: TlsMaterial }> {
  const sasl = conn.sasl;
  const [username, password, ca] = await Promise.all([
    sasl ? readSecret(namespace, sasl.usernameSecretRef.name, sasl.usernameSecretRef.key) : undefined,
    sasl ? readSecret(namespace, sasl.passwordSecretRef.name, sasl.passwordSecretRef.key) : undefined,
    conn.tls?.caSecretRef
      ? readSecret(namespace, conn.tls.caSecretRef.name, conn.tls.caSecretRef.key)
      : undefined,
  ]);
  const settings: KafkaSettings = {
    KAFKA_BROKERS: conn.bootstrapServers.split(",").map((s) => s.trim()).filter(Boolean),
    KAFKA_CLIENT_ID: clientId,
    KAFKA_SASL_MECHANISM: sasl?.mechanism ?? "none",
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_TLS: conn.tls?.enabled ?? false,
    KAFKA_TLS_CA_FILE: undefined,
    KAFKA_TLS_CERT_FILE: undefined,
    KAFKA_TLS_KEY_FILE: undefined,
    KAFKA_TLS_INSECURE: false,
    KAFKA_CONNECTION_TIMEOUT: Math.min(3_000, timeoutMs),
    KAFKA_REQUEST_TIMEOUT: Math.min(5_000, timeoutMs),
    // Few retries: the next poll is the retry, and a read must end well within the poll interval.
    KAFKA_RETRIES: 1,
    KAFKA_RETRY_INITIAL: 100,
  };
  return { settings, tls: ca === undefined ? {} : { ca } };
}

/** Rejects with a clear message when `work` takes longer than `ms`; the loser's rejection is swallowed. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Creates the reader. */
export function createKafkaLagReader(options: LagReaderOptions): KafkaLagReader {
  const { readSecret, log } = options;
  const timeoutMs = options.timeoutMs ?? 8_000;
  const clientId = options.clientId ?? "kafka-edge-operator";
  const clients = new Map<string, Client>();
  silenceKafkajsTimerWarning();

  async function clientFor(key: string, namespace: string, conn: KafkaConnectionSpec): Promise<Client> {
    const fingerprint = JSON.stringify(conn);
    const existing = clients.get(key);
    if (existing?.fingerprint === fingerprint) return existing;
    if (existing) await release(key);
    const { settings, tls } = await connectionSettings(namespace, conn, readSecret, clientId, timeoutMs);
    const kafka = new Kafka({
      ...kafkaOptions(settings, tls),
      // Failures are reported once per outage by the controller (condition, Event, warn line); kafkajs would
      // log every retry of every poll at error level, so it speaks only when debugging.
      logLevel: log.level === "debug" ? kafkajsLevel("debug") : logLevel.NOTHING,
      logCreator: kafkajsLogCreator(log.child({ autoscaler: key })),
    });
    const client: Client = { fingerprint, admin: kafka.admin() };
    clients.set(key, client);
    return client;
  }

  async function release(key: string): Promise<void> {
    const client = clients.get(key);
    if (!client) return;
    clients.delete(key);
    await withTimeout(client.admin.disconnect(), 5_000, "Kafka disconnect").catch(() => {});
  }

  async function readOffsets(client: Client, spec: ConsumerAutoscalerSpec): Promise<LagReading> {
    client.connected ??= client.admin.connect();
    await client.connected;
    const started = Date.now();
    const [ends, committed] = await Promise.all([
      Promise.all(
        spec.topics.map(async (topic) => ({ topic, offsets: await client.admin.fetchTopicOffsets(topic) })),
      ),
      // No resolveOffsets: that option commits offsets for the group. This call only reads.
      client.admin.fetchOffsets({ groupId: spec.groupId, topics: [...spec.topics] }),
    ]);
    const at = Math.round((started + Date.now()) / 2);
    const logStartOffsets = new Map<string, bigint>();
    for (const { topic, offsets } of ends) {
      for (const o of offsets) logStartOffsets.set(`${topic}/${o.partition}`, BigInt(o.low));
    }
    const committedOf = new Map<string, bigint | null>();
    for (const t of committed) {
      for (const p of t.partitions) {
        const offset = BigInt(p.offset);
        committedOf.set(`${t.topic}/${p.partition}`, offset < 0n ? null : offset);
      }
    }
    const partitions: PartitionOffsets[] = ends.flatMap(({ topic, offsets }) =>
      offsets.map((o) => ({
        topic,
        partition: o.partition,
        logEndOffset: BigInt(o.high),
        committedOffset: committedOf.get(`${topic}/${o.partition}`) ?? null,
      }))
    ).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return { sample: { at, partitions }, logStartOffsets };
  }

  return {
    async read(key, namespace, spec) {
      const client = await withTimeout(
        clientFor(key, namespace, spec.kafka),
        timeoutMs,
        "reading Kafka secrets",
      );
      return await withTimeout(readOffsets(client, spec), timeoutMs, "lag read");
    },
    release,
    async closeAll() {
      await Promise.all([...clients.keys()].map(release));
    },
  };
}
