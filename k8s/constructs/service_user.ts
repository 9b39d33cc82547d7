/**
 * A Kafka principal for one of our services: a Strimzi KafkaUser with SCRAM-SHA-512 credentials and only the
 * ACLs that service's role needs. Strimzi writes the password into a Secret named like the user (key
 * `password`); pods read it from there, so no credential ever appears in a manifest.
 *
 * @module
 */
import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { CONFIG_DIR, type FileMount } from "./deno_service.ts";
import { type KafkaEndpoint, STRIMZI_API_VERSION } from "./kafka_cluster.ts";

/** How a service connects to Kafka as a {@link ServiceUser}; see {@link ServiceUser.client}. */
export interface KafkaClientSettings {
  /** lib/kafka.ts variables that are not secret (ConfigMap material). */
  readonly env: Readonly<Record<string, string>>;
  /** The SCRAM password, from the Secret Strimzi's user operator writes. */
  readonly secretEnv: Readonly<Record<string, kplus.EnvValue>>;
  /** The cluster CA certificate that `KAFKA_TLS_CA_FILE` names. */
  readonly caFile: FileMount;
}

/** What a principal does, which decides its ACLs. */
export type ServiceRole =
  /** Gateway: Write + Describe on the topics it accepts (idempotent producing needs no cluster ACL). */
  | { readonly kind: "gateway"; readonly topics: readonly string[] }
  /** Worker: Read on its topics and its group, Write on its dead-letter topic. */
  | {
    readonly kind: "worker";
    readonly topics: readonly string[];
    readonly group: string;
    readonly deadLetterTopic?: string;
  }
  /** Lag reader (operator): Describe on the topics and groups whose lag it reads. */
  | { readonly kind: "lag-reader"; readonly topics: readonly string[]; readonly groups: readonly string[] };

/** One Strimzi ACL rule. */
export interface Acl {
  readonly resource: {
    readonly type: "topic" | "group";
    readonly name: string;
    readonly patternType: "literal";
  };
  readonly operations: readonly ("Read" | "Write" | "Describe")[];
}

/** Props of {@link ServiceUser}. */
export interface ServiceUserProps {
  /** KafkaUser name, which is also the SCRAM username and the password Secret's name. */
  readonly name: string;
  /** Strimzi cluster the user belongs to. */
  readonly clusterName: string;
  readonly role: ServiceRole;
  /**
   * Also create `<name>-username`, a Secret with key `username`, for consumers that take the username from
   * a Secret (ConsumerAutoscaler, KEDA TriggerAuthentication). Default false.
   */
  readonly usernameSecret?: boolean;
}

function literal(type: "topic" | "group", name: string, operations: Acl["operations"]): Acl {
  return { resource: { type, name, patternType: "literal" }, operations };
}

/** The least-privilege ACLs of a role; literal names only, never prefixes or `*`. */
export function aclsFor(role: ServiceRole): Acl[] {
  switch (role.kind) {
    case "gateway":
      return role.topics.map((t) => literal("topic", t, ["Write", "Describe"]));
    case "worker":
      return [
        ...role.topics.map((t) => literal("topic", t, ["Read", "Describe"])),
        literal("group", role.group, ["Read"]),
        ...(role.deadLetterTopic ? [literal("topic", role.deadLetterTopic, ["Write", "Describe"])] : []),
      ];
    case "lag-reader":
      return [
        ...role.topics.map((t) => literal("topic", t, ["Describe"])),
        ...role.groups.map((g) => literal("group", g, ["Describe"])),
      ];
  }
}

/** A SCRAM-SHA-512 KafkaUser with role-based ACLs. */
export class ServiceUser extends Construct {
  readonly user: ApiObject;
  /** The SCRAM username. */
  readonly username: string;
  /** Secret (written by Strimzi's user operator) holding the password under `password`. */
  readonly passwordSecret: kplus.ISecret;
  /** The `<name>-username` Secret, when requested. */
  readonly usernameSecretName?: string;

  constructor(scope: Construct, id: string, props: ServiceUserProps) {
    super(scope, id);
    this.username = props.name;
    this.user = new ApiObject(this, "user", {
      apiVersion: STRIMZI_API_VERSION,
      kind: "KafkaUser",
      metadata: {
        name: props.name,
        labels: { "strimzi.io/cluster": props.clusterName, "app.kubernetes.io/part-of": "kafka-edge" },
      },
      spec: {
        authentication: { type: "scram-sha-512" },
        authorization: { type: "simple", acls: aclsFor(props.role) },
      },
    });
    this.passwordSecret = kplus.Secret.fromSecretName(this, "password", props.name);
    if (props.usernameSecret) {
      this.usernameSecretName = `${props.name}-username`;
      new kplus.Secret(this, "username", {
        metadata: { name: this.usernameSecretName, labels: { "app.kubernetes.io/part-of": "kafka-edge" } },
        // The username is not sensitive, but the CRDs that need it only take Secret references.
        stringData: { username: props.name },
      });
    }
  }

  /**
   * The settings a kafka-edge service (lib/kafka.ts) needs to reach `kafka` as this user over SCRAM-SHA-512
   * and TLS, `clientId` naming it in the brokers' logs and quotas. Once per user: the CA Secret reference
   * it makes is a child construct with a fixed id.
   */
  client(kafka: KafkaEndpoint, clientId: string): KafkaClientSettings {
    const caDir = `${CONFIG_DIR}/kafka-ca`;
    return {
      env: {
        KAFKA_BROKERS: kafka.bootstrapServers,
        KAFKA_CLIENT_ID: clientId,
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: this.username,
        KAFKA_TLS: "true",
        KAFKA_TLS_CA_FILE: `${caDir}/ca.crt`,
      },
      secretEnv: {
        KAFKA_SASL_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: this.passwordSecret, key: "password" }),
      },
      caFile: {
        volume: "kafka-ca",
        path: caDir,
        source: { secret: kplus.Secret.fromSecretName(this, "ca", kafka.caSecretName) },
      },
    };
  }
}
