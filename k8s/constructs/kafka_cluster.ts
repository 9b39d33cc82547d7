/**
 * A Strimzi-managed Kafka cluster in KRaft mode. Strimzi 1.x serves only `kafka.strimzi.io/v1`, where node
 * counts, roles and storage live in KafkaNodePools rather than in the Kafka resource.
 *
 * The CRDs are large (the Kafka one is 330 kB), so instead of generated cdk8s imports this file types only
 * the fields it writes; the control-plane test applies the result with strict field validation against the
 * real CRDs, which catches any field spelled wrong here.
 *
 * @module
 */
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";

/** API version of every Strimzi resource we create. */
export const STRIMZI_API_VERSION = "kafka.strimzi.io/v1";

/** Listener ports clients use; the SCRAM-over-TLS one is what our services connect to. */
export const LISTENER_PORTS = { plain: 9092, tls: 9093, scram: 9094 } as const;

/** How a client reaches the cluster; derived from Strimzi's naming conventions. */
export interface KafkaEndpoint {
  readonly clusterName: string;
  /** `host:port` of the SCRAM-SHA-512 over TLS listener. */
  readonly bootstrapServers: string;
  /** Secret Strimzi keeps the cluster CA certificate in, under key `ca.crt`. */
  readonly caSecretName: string;
}

/** Where clients in `namespace` find the cluster named `clusterName`. */
export function kafkaEndpoint(clusterName: string, namespace: string): KafkaEndpoint {
  return {
    clusterName,
    // Fully qualified so the name matches a SAN of the broker certificate from any namespace.
    bootstrapServers: `${clusterName}-kafka-bootstrap.${namespace}.svc:${LISTENER_PORTS.scram}`,
    caSecretName: `${clusterName}-cluster-ca-cert`,
  };
}

/** Props of {@link KafkaCluster}. */
export interface KafkaClusterProps {
  /** Name of the Kafka resource. */
  readonly name: string;
  /** `dev`: one dual-role node, RF 1, ephemeral storage. `prod`: 3 controllers + 3 brokers, RF 3, PVCs. */
  readonly profile: "dev" | "prod";
  /** Kafka version, e.g. `4.3.1`. */
  readonly version: string;
  /** Broker volume size (prod) or emptyDir size limit (dev), e.g. `20Gi`. */
  readonly storageSize: string;
  /** StorageClass of prod volumes. Default: the cluster's default class. */
  readonly storageClass?: string;
}

interface NodePoolSpec {
  readonly replicas: number;
  readonly roles: readonly ("controller" | "broker")[];
  readonly storage: Readonly<Record<string, unknown>>;
  readonly resources: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly template: Readonly<Record<string, unknown>>;
}

// Strimzi's containers run fine under the restricted Pod Security Standard; we state it instead of relying
// on the operator's PodSecurityProvider setting.
const POD_SECURITY = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** A Strimzi Kafka resource with its KafkaNodePools and entity (topic + user) operator. */
export class KafkaCluster extends Construct {
  /** The Kafka resource. */
  readonly kafka: ApiObject;
  /** One pool (`dual`) in dev; `controllers` and `brokers` in prod. */
  readonly nodePools: readonly ApiObject[];
  /** Replication factor topics should use: 1 in dev, 3 in prod. */
  readonly replicationFactor: number;
  /** `min.insync.replicas` topics should use: 1 in dev, 2 in prod (survives one broker down with acks=all). */
  readonly minInsyncReplicas: number;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const prod = props.profile === "prod";
    this.replicationFactor = prod ? 3 : 1;
    this.minInsyncReplicas = prod ? 2 : 1;
    const labels = { "strimzi.io/cluster": props.name, "app.kubernetes.io/part-of": "kafka-edge" };

    const storage = prod
      ? {
        type: "persistent-claim",
        size: props.storageSize,
        deleteClaim: false,
        ...(props.storageClass ? { class: props.storageClass } : {}),
        kraftMetadata: "shared",
      }
      : { type: "ephemeral", sizeLimit: props.storageSize, kraftMetadata: "shared" };
    const template = {
      pod: { securityContext: POD_SECURITY },
      kafkaContainer: { securityContext: CONTAINER_SECURITY },
    };
    const pools: Record<string, NodePoolSpec> = prod
      ? {
        controllers: {
          replicas: 3,
          roles: ["controller"],
          storage: { ...storage, size: "10Gi" },
          resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
          template,
        },
        brokers: {
          replicas: 3,
          roles: ["broker"],
          storage,
          resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } },
          template,
        },
      }
      : {
        dual: {
          replicas: 1,
          roles: ["controller", "broker"],
          storage,
          resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
          template,
        },
      };
    this.nodePools = Object.entries(pools).map(([pool, spec]) =>
      new ApiObject(this, `pool-${pool}`, {
        apiVersion: STRIMZI_API_VERSION,
        kind: "KafkaNodePool",
        metadata: { name: pool, labels },
        spec,
      })
    );

    const rf = this.replicationFactor;
    const operatorResources = {
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    };
    this.kafka = new ApiObject(this, "kafka", {
      apiVersion: STRIMZI_API_VERSION,
      kind: "Kafka",
      metadata: { name: props.name, labels: { "app.kubernetes.io/part-of": "kafka-edge" } },
      spec: {
        kafka: {
          version: props.version,
          listeners: [
            // SCRAM everywhere: with simple authorization an unauthenticated client would be ANONYMOUS
            // and match no ACL, so a listener without authentication would only confuse.
            {
              name: "plain",
              port: LISTENER_PORTS.plain,
              type: "internal",
              tls: false,
              authentication: { type: "scram-sha-512" },
            },
            {
              name: "tls",
              port: LISTENER_PORTS.tls,
              type: "internal",
              tls: true,
              authentication: { type: "tls" },
            },
            {
              name: "scram",
              port: LISTENER_PORTS.scram,
              type: "internal",
              tls: true,
              authentication: { type: "scram-sha-512" },
            },
          ],
          authorization: { type: "simple" },
          config: {
            "default.replication.factor": rf,
            "min.insync.replicas": this.minInsyncReplicas,
            "offsets.topic.replication.factor": rf,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": this.minInsyncReplicas,
            // Losing acknowledged events to regain availability is never the right trade for this gateway.
            "unclean.leader.election.enable": false,
            // Topics are declared as KafkaTopics; a typo in a client must not create a new topic.
            "auto.create.topics.enable": false,
          },
          metricsConfig: {
            type: "strimziMetricsReporter",
            values: { allowList: ["kafka_server.*", "kafka_network.*", "kafka_log.*", "kafka_controller.*"] },
          },
          template: { pod: { securityContext: POD_SECURITY } },
        },
        entityOperator: {
          topicOperator: { resources: operatorResources },
          userOperator: { resources: operatorResources },
          template: {
            pod: { securityContext: POD_SECURITY },
            topicOperatorContainer: { securityContext: CONTAINER_SECURITY },
            userOperatorContainer: { securityContext: CONTAINER_SECURITY },
          },
        },
      },
    });
  }
}
