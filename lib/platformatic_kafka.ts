/**
 * Connection options for @platformatic/kafka from the same `KAFKA_*` settings as {@link createKafka}, so
 * switching a service's client (`KAFKA_CLIENT=platformatic`) changes no other setting. It imports only the
 * library's types: a service that never selects this client never loads the library.
 *
 * @module
 */
import { isIP } from "node:net";
import type { BaseOptions, SASLOptions } from "@platformatic/kafka";
import type { KafkaSettings } from "./config.ts";
import { saslCredentials, type TlsMaterial } from "./kafka.ts";

function sasl(cfg: KafkaSettings): SASLOptions | undefined {
  const credentials = saslCredentials(cfg);
  if (credentials === undefined) return undefined;
  // The library names them in capitals: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.
  const mechanism = credentials.mechanism.toUpperCase() as SASLOptions["mechanism"];
  return { mechanism, username: credentials.username, password: credentials.password };
}

/** The connection options shared by every @platformatic/kafka client of a service. */
export function platformaticKafkaOptions(cfg: KafkaSettings, tls: TlsMaterial = {}): BaseOptions {
  const mechanism = sasl(cfg);
  // SNI carries host names only; kafkajs' socket factory (lib/kafka.ts) makes the same choice per broker.
  const named = cfg.KAFKA_BROKERS.some((b) => isIP(b.replace(/:\d+$/, "").replace(/^\[|\]$/g, "")) === 0);
  return {
    clientId: cfg.KAFKA_CLIENT_ID,
    bootstrapBrokers: [...cfg.KAFKA_BROKERS],
    connectTimeout: cfg.KAFKA_CONNECTION_TIMEOUT,
    requestTimeout: cfg.KAFKA_REQUEST_TIMEOUT,
    retries: cfg.KAFKA_RETRIES,
    retryDelay: cfg.KAFKA_RETRY_INITIAL,
    ...(cfg.KAFKA_TLS
      ? {
        tls: {
          rejectUnauthorized: !cfg.KAFKA_TLS_INSECURE,
          ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
          ...(tls.cert === undefined ? {} : { cert: tls.cert }),
          ...(tls.key === undefined ? {} : { key: tls.key }),
        },
        ...(named ? { tlsServerName: true } : {}),
      }
      : {}),
    ...(mechanism ? { sasl: mechanism } : {}),
  };
}
