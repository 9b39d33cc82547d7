/**
 * One consumer-group worker (consumer/): a Deployment WITHOUT `replicas` — an autoscaler owns that field —
 * its settings ConfigMap, probes, PodDisruptionBudget, Kafka user, and either a ConsumerAutoscaler for our
 * lag operator (default) or a KEDA ScaledObject + TriggerAuthentication with the equivalent Kafka trigger.
 *
 * @module
 */
import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { API_VERSION as AUTOSCALER_API_VERSION, KIND as AUTOSCALER_KIND } from "../../operator/crd.ts";
import {
  denoDeployment,
  onePodAtATimeBudget,
  removeReplicas,
  type ResourceSpec,
  unitLabels,
} from "./deno_service.ts";
import { sorted } from "./edge_producer.ts";
import type { KafkaEndpoint } from "./kafka_cluster.ts";
import { ServiceUser } from "./service_user.ts";

/** SCRAM credentials given as Secret references (the operator reads them at run time). */
export interface SecretCredentials {
  /** Secret with key `username`. */
  readonly usernameSecret: string;
  /** Secret with key `password` (Strimzi's KafkaUser secret). */
  readonly passwordSecret: string;
}

/** Which autoscaler owns the worker's replica count. */
export type WorkerAutoscaling =
  /** A ConsumerAutoscaler; the operator reads lag with these (lag-reader) credentials. */
  | { readonly mode: "operator"; readonly credentials: SecretCredentials }
  /** A KEDA ScaledObject; KEDA reads lag with the worker's own credentials. */
  | { readonly mode: "keda" };

/** Props of {@link ConsumerWorker}. */
export interface ConsumerWorkerProps {
  /** Worker name; objects are called `kafka-edge-worker-<name>`. */
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy: "IfNotPresent" | "Always";
  readonly kafka: KafkaEndpoint;
  readonly topics: readonly string[];
  /** Consumer group. Default `kafka-edge-<name>`. */
  readonly groupId?: string;
  /** SINK value (consumer/sinks/registry.ts). */
  readonly sink: string;
  /** Dead-letter topic the worker may write to. */
  readonly deadLetterTopic: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Backlog per replica the autoscaler aims for (lagPerReplica / KEDA lagThreshold). */
  readonly lagPerReplica: number;
  /**
   * Let the autoscaler go to 0 replicas when idle; required for `minReplicas: 0` in operator mode (KEDA
   * handles 0 natively). Default false.
   */
  readonly scaleToZero?: boolean;
  readonly autoscaling: WorkerAutoscaling;
  /** Extra non-secret variables (sink settings). Default none. */
  readonly env?: Readonly<Record<string, string>>;
  /** Existing Secret whose keys become variables. Default none. */
  readonly secretEnv?: string;
  /** Default: 100m/1 CPU, 256/512 MiB. */
  readonly resources?: ResourceSpec;
}

const PORT = 8080;
/** Same as the operator's default, so both modes wait as long before removing a replica. */
const SCALE_DOWN_STABILIZATION_SECONDS = 120;

/** A worker Deployment with its autoscaler. */
export class ConsumerWorker extends Construct {
  readonly deployment: kplus.Deployment;
  readonly user: ServiceUser;
  /** The ConsumerAutoscaler or the KEDA ScaledObject. */
  readonly autoscaler: ApiObject;
  readonly groupId: string;

  constructor(scope: Construct, id: string, props: ConsumerWorkerProps) {
    super(scope, id);
    const name = `kafka-edge-worker-${props.name}`;
    const labels = unitLabels(name, "worker");
    this.groupId = props.groupId ?? `kafka-edge-${props.name}`;
    const keda = props.autoscaling.mode === "keda";
    this.user = new ServiceUser(this, "kafka-user", {
      name,
      clusterName: props.kafka.clusterName,
      role: {
        kind: "worker",
        topics: props.topics,
        group: this.groupId,
        deadLetterTopic: props.deadLetterTopic,
      },
      // KEDA's TriggerAuthentication can only take the username from a Secret.
      usernameSecret: keda,
    });

    const kafka = this.user.client(props.kafka, name);
    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: `${name}-config`, labels },
      data: sorted({
        ...props.env,
        ...kafka.env,
        GROUP_ID: this.groupId,
        TOPICS: props.topics.join(","),
        SINK: props.sink,
        DLQ_TOPIC: props.deadLetterTopic,
        PORT: String(PORT),
      }),
    });
    this.deployment = denoDeployment(this, "deployment", {
      name,
      component: "worker",
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      port: PORT,
      env: kafka.secretEnv,
      envFrom: [
        kplus.Env.fromConfigMap(config),
        ...(props.secretEnv
          ? [kplus.Env.fromSecret(kplus.Secret.fromSecretName(this, "sink", props.secretEnv))]
          : []),
      ],
      files: [kafka.caFile],
      resources: props.resources ??
        { cpuRequestMillis: 100, cpuLimitMillis: 1000, memoryRequestMib: 256, memoryLimitMib: 512 },
    });
    removeReplicas(this.deployment);
    onePodAtATimeBudget(this, "pdb", this.deployment);

    const target = { apiVersion: "apps/v1", kind: "Deployment", name };
    if (props.autoscaling.mode === "operator") {
      const creds = props.autoscaling.credentials;
      this.autoscaler = new ApiObject(this, "autoscaler", {
        apiVersion: AUTOSCALER_API_VERSION,
        kind: AUTOSCALER_KIND,
        metadata: { name, labels },
        spec: {
          scaleTargetRef: target,
          kafka: {
            bootstrapServers: props.kafka.bootstrapServers,
            tls: { enabled: true, caSecretRef: { name: props.kafka.caSecretName, key: "ca.crt" } },
            sasl: {
              mechanism: "scram-sha-512",
              usernameSecretRef: { name: creds.usernameSecret, key: "username" },
              passwordSecretRef: { name: creds.passwordSecret, key: "password" },
            },
          },
          groupId: this.groupId,
          topics: [...props.topics],
          minReplicas: props.minReplicas,
          maxReplicas: props.maxReplicas,
          lagPerReplica: props.lagPerReplica,
          ...(props.scaleToZero ? { scaleToZero: { enabled: true } } : {}),
          scaleDownStabilizationSeconds: SCALE_DOWN_STABILIZATION_SECONDS,
        },
      });
    } else {
      const auth = new ApiObject(this, "trigger-auth", {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name, labels },
        spec: {
          secretTargetRef: [
            { parameter: "username", name: this.user.usernameSecretName, key: "username" },
            { parameter: "password", name: this.user.username, key: "password" },
            { parameter: "ca", name: props.kafka.caSecretName, key: "ca.crt" },
          ],
        },
      });
      this.autoscaler = new ApiObject(this, "scaled-object", {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name, labels },
        spec: {
          scaleTargetRef: target,
          minReplicaCount: props.minReplicas,
          maxReplicaCount: props.maxReplicas,
          pollingInterval: 5,
          advanced: {
            horizontalPodAutoscalerConfig: {
              behavior: { scaleDown: { stabilizationWindowSeconds: SCALE_DOWN_STABILIZATION_SECONDS } },
            },
          },
          // KEDA's Kafka scaler reads one topic per trigger; the HPA takes the largest of them.
          triggers: props.topics.map((topic) => ({
            type: "kafka",
            name: `lag-${topic.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`,
            authenticationRef: { name: auth.name },
            metadata: {
              bootstrapServers: props.kafka.bootstrapServers,
              consumerGroup: this.groupId,
              topic,
              lagThreshold: String(props.lagPerReplica),
              offsetResetPolicy: "earliest",
              sasl: "scram_sha512",
              tls: "enable",
            },
          })),
        },
      });
    }
  }
}
