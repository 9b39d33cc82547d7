/**
 * Builds the cdk8s App from a {@link DeployConfig}: one Chart per deployable unit, each synthesized to one
 * YAML file whose name orders it after what it depends on (namespace and CRD, Kafka, topics, operator,
 * gateway, workers), so `kubectl apply -f dist/` meets CRDs before their objects.
 *
 * @module
 */
import { App, Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { stringify } from "yaml";
import type { DeployConfig } from "./config.ts";
import { ConsumerWorker, type WorkerAutoscaling } from "./constructs/consumer_worker.ts";
import { EdgeProducer } from "./constructs/edge_producer.ts";
import { EventTopic } from "./constructs/event_topic.ts";
import { KafkaCluster, kafkaEndpoint } from "./constructs/kafka_cluster.ts";
import { AutoscalerCrd, LagOperator } from "./constructs/lag_operator.ts";

/** Options of {@link buildApp}. */
export interface BuildOptions {
  /** Emit the Namespace object. Default true; Helm creates the release namespace itself. */
  readonly namespaceObject?: boolean;
  /** Emit the ConsumerAutoscaler CRD. Default true (in operator mode); Helm ships it in crds/. */
  readonly crd?: boolean;
}

/** A chart and the file it is written to. */
export interface UnitChart {
  /** File name in dist/, e.g. `10-kafka.yaml`. */
  readonly file: string;
  readonly chart: Chart;
}

/** The Kubernetes object shape every synthesized manifest has. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** Pod Security Standard labels of the namespace: restricted, enforced and warned about. */
export const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

function image(config: DeployConfig, service: "gateway" | "worker" | "operator"): string {
  return `${config.images.registry}/kafka-edge-${service}:${config.images[service].tag}`;
}

/** The App with every chart for `config`, in apply order. */
export function buildApp(config: DeployConfig, opts: BuildOptions = {}): { app: App; charts: UnitChart[] } {
  const app = new App();
  const charts: UnitChart[] = [];
  const ns = config.namespace;
  const pullPolicy = config.images.pullPolicy;
  const endpoint = kafkaEndpoint(config.kafka.clusterName, ns);
  const operatorMode = config.autoscaler === "operator";

  // Cluster-scoped prerequisites carry no namespace, so they live in a chart without one.
  const cluster = new Chart(app, "cluster", { disableResourceNameHashes: true });
  if (opts.namespaceObject ?? true) {
    new kplus.Namespace(cluster, "namespace", {
      // enforce rejects non-restricted Pods; warn makes the API server flag a non-restricted pod template as
      // soon as a Deployment is applied, which is how the control-plane test checks our hardening.
      metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS },
    });
  }
  if (operatorMode && (opts.crd ?? true)) new AutoscalerCrd(cluster, "consumer-autoscaler-crd");
  charts.push({ file: "00-cluster.yaml", chart: cluster });

  const kafkaChart = new Chart(app, "kafka", { namespace: ns, disableResourceNameHashes: true });
  const kafka = new KafkaCluster(kafkaChart, "cluster", {
    name: config.kafka.clusterName,
    profile: config.profile,
    version: config.kafka.version,
    storageSize: config.kafka.storageSize,
    storageClass: config.kafka.storageClass,
  });
  charts.push({ file: "10-kafka.yaml", chart: kafkaChart });

  const topicsChart = new Chart(app, "topics", { namespace: ns, disableResourceNameHashes: true });
  for (const t of config.topics) {
    new EventTopic(topicsChart, t.name, {
      clusterName: config.kafka.clusterName,
      topicName: t.name,
      partitions: t.partitions,
      replicationFactor: kafka.replicationFactor,
      minInsyncReplicas: kafka.minInsyncReplicas,
      retentionHours: t.retentionHours,
    });
  }
  charts.push({ file: "20-topics.yaml", chart: topicsChart });

  let autoscaling: WorkerAutoscaling = { mode: "keda" };
  if (operatorMode) {
    const operatorChart = new Chart(app, "operator", { namespace: ns, disableResourceNameHashes: true });
    const operator = new LagOperator(operatorChart, "operator", {
      image: image(config, "operator"),
      imagePullPolicy: pullPolicy,
      kafka: endpoint,
      topics: [...new Set(config.workers.flatMap((w) => w.topics))].sort(),
      groups: config.workers.map((w) => `kafka-edge-${w.name}`).sort(),
    });
    autoscaling = {
      mode: "operator",
      credentials: {
        usernameSecret: operator.user.usernameSecretName!,
        passwordSecret: operator.user.username,
      },
    };
    charts.push({ file: "30-operator.yaml", chart: operatorChart });
  }

  const gatewayChart = new Chart(app, "gateway", { namespace: ns, disableResourceNameHashes: true });
  const gw = config.gateway;
  new EdgeProducer(gatewayChart, "gateway", {
    image: image(config, "gateway"),
    imagePullPolicy: pullPolicy,
    kafka: endpoint,
    topics: config.topics,
    minReplicas: gw.replicas.min,
    maxReplicas: gw.replicas.max,
    auth: gw.auth,
    apiKeysSecret: gw.apiKeysSecret,
    jwt: gw.jwt,
    ingress: gw.ingress.enabled ? gw.ingress : undefined,
    env: gw.env,
  });
  charts.push({ file: "40-gateway.yaml", chart: gatewayChart });

  for (const w of config.workers) {
    const chart = new Chart(app, `worker-${w.name}`, { namespace: ns, disableResourceNameHashes: true });
    new ConsumerWorker(chart, "worker", {
      name: w.name,
      image: image(config, "worker"),
      imagePullPolicy: pullPolicy,
      kafka: endpoint,
      topics: w.topics,
      groupId: `kafka-edge-${w.name}`,
      sink: w.sink,
      deadLetterTopic: w.deadLetterTopic,
      minReplicas: w.replicas.min,
      maxReplicas: w.replicas.max,
      lagPerReplica: w.lagPerReplica,
      scaleToZero: w.scaleToZero,
      autoscaling,
      env: w.env,
      secretEnv: w.secretEnv,
    });
    charts.push({ file: `50-worker-${w.name}.yaml`, chart });
  }
  return { app, charts };
}

/** One synthesized file. */
export interface SynthFile {
  readonly file: string;
  readonly manifests: readonly Manifest[];
}

/** Synthesizes every chart to plain objects, in file order. */
export function synthesize(config: DeployConfig, opts: BuildOptions = {}): SynthFile[] {
  const { charts } = buildApp(config, opts);
  return charts
    .map(({ file, chart }) => ({ file, manifests: chart.toJson() as Manifest[] }))
    .filter((f) => f.manifests.length > 0);
}

/** Multi-document YAML of `manifests`; stable because cdk8s emits objects and keys in construct order. */
export function toYaml(manifests: readonly unknown[], header?: string): string {
  const docs = manifests.map((m) => stringify(m, { lineWidth: 0 }));
  return (header ? `# ${header}\n` : "") + docs.join("---\n");
}
