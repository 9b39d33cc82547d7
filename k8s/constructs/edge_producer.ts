/**
 * The HTTP gateway (producer/): Deployment scaled on CPU by an HPA, Service, PodDisruptionBudget, its
 * settings and topic schemas as a ConfigMap, API keys / JWKS / Kafka password from Secrets, an optional
 * Ingress, and a NetworkPolicy letting in only HTTP on its port.
 *
 * @module
 */
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { stringify } from "yaml";
import {
  CONFIG_DIR,
  denoDeployment,
  onePodAtATimeBudget,
  type ResourceSpec,
  unitLabels,
} from "./deno_service.ts";
import type { KafkaEndpoint } from "./kafka_cluster.ts";
import { ServiceUser } from "./service_user.ts";

/** A topic as the gateway's TOPICS_FILE describes it (producer/topics.ts). */
export interface GatewayTopic {
  readonly name: string;
  readonly keyPointer?: string;
  readonly idPointer?: string;
  readonly schema?: Readonly<Record<string, unknown>>;
}

/** Props of {@link EdgeProducer}. */
export interface EdgeProducerProps {
  /** Base name of every object. Default `kafka-edge-gateway`. */
  readonly name?: string;
  readonly image: string;
  readonly imagePullPolicy: "IfNotPresent" | "Always";
  readonly kafka: KafkaEndpoint;
  readonly topics: readonly GatewayTopic[];
  /** HPA range; the HPA targets 70 % CPU. */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly auth: readonly ("api-key" | "jwt")[];
  /** Existing Secret with `api-keys.yaml`; required with api-key auth. */
  readonly apiKeysSecret?: string;
  readonly jwt?: {
    readonly issuer: string;
    readonly audience: string;
    readonly jwksUrl?: string;
    /** Existing Secret with `jwks.json`. */
    readonly jwksSecret?: string;
  };
  /** Ingress for this host when set. Default: none. */
  readonly ingress?: { readonly host: string; readonly className: string; readonly tlsSecret?: string };
  /** Extra variables; they cannot override the ones this construct sets. Default none. */
  readonly env?: Readonly<Record<string, string>>;
  /** Default: 250m/1 CPU, 256/512 MiB. */
  readonly resources?: ResourceSpec;
}

const PORT = 8080;

/** The gateway and everything it needs around it. */
export class EdgeProducer extends Construct {
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  readonly user: ServiceUser;

  constructor(scope: Construct, id: string, props: EdgeProducerProps) {
    super(scope, id);
    const name = props.name ?? "kafka-edge-gateway";
    const labels = unitLabels(name, "gateway");
    this.user = new ServiceUser(this, "kafka-user", {
      name,
      clusterName: props.kafka.clusterName,
      role: { kind: "gateway", topics: props.topics.map((t) => t.name) },
    });

    const topicsFile = {
      topics: Object.fromEntries(props.topics.map((t) => [t.name, {
        ...(t.keyPointer ? { keyPointer: t.keyPointer } : {}),
        ...(t.idPointer ? { idPointer: t.idPointer } : {}),
        ...(t.schema ? { schema: t.schema } : {}),
      }])),
    };
    const kafka = this.user.client(props.kafka, name);
    const env: Record<string, string> = {
      ...props.env,
      ...kafka.env,
      TOPICS_FILE: `${CONFIG_DIR}/config/topics.yaml`,
      AUTH_METHODS: props.auth.join(","),
      PORT: String(PORT),
      ...(props.auth.includes("api-key") ? { API_KEYS_FILE: `${CONFIG_DIR}/api-keys/api-keys.yaml` } : {}),
      ...(props.jwt
        ? {
          JWT_ISSUER: props.jwt.issuer,
          JWT_AUDIENCE: props.jwt.audience,
          ...(props.jwt.jwksUrl ? { JWT_JWKS_URL: props.jwt.jwksUrl } : {}),
          ...(props.jwt.jwksSecret ? { JWT_JWKS_FILE: `${CONFIG_DIR}/jwks/jwks.json` } : {}),
        }
        : {}),
    };
    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: `${name}-config`, labels },
      data: { ...sorted(env), "topics.yaml": stringify(topicsFile, { sortMapEntries: true }) },
    });

    const files = [
      { volume: "config", path: `${CONFIG_DIR}/config`, source: { configMap: config } },
      kafka.caFile,
      ...(props.apiKeysSecret && props.auth.includes("api-key")
        ? [{
          volume: "api-keys",
          path: `${CONFIG_DIR}/api-keys`,
          source: { secret: kplus.Secret.fromSecretName(this, "api-keys", props.apiKeysSecret) },
        }]
        : []),
      ...(props.jwt?.jwksSecret
        ? [{
          volume: "jwks",
          path: `${CONFIG_DIR}/jwks`,
          source: { secret: kplus.Secret.fromSecretName(this, "jwks", props.jwt.jwksSecret) },
        }]
        : []),
    ];
    this.deployment = denoDeployment(this, "deployment", {
      name,
      component: "gateway",
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      port: PORT,
      env: kafka.secretEnv,
      envFrom: [kplus.Env.fromConfigMap(config)],
      files,
      resources: props.resources ??
        { cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryRequestMib: 256, memoryLimitMib: 512 },
    });
    // The HPA owns the replica count; kplus leaves `replicas` out once it sees this HPA.
    new kplus.HorizontalPodAutoscaler(this, "hpa", {
      metadata: { name, labels },
      target: this.deployment,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
    });
    onePodAtATimeBudget(this, "pdb", this.deployment);
    this.service = new kplus.Service(this, "service", {
      metadata: { name, labels },
      selector: this.deployment,
      ports: [{ name: "http", port: 80, targetPort: PORT }],
    });

    if (props.ingress) {
      new kplus.Ingress(this, "ingress", {
        metadata: { name, labels },
        className: props.ingress.className,
        rules: [{
          host: props.ingress.host,
          path: "/",
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(this.service),
        }],
        tls: props.ingress.tlsSecret
          ? [{
            hosts: [props.ingress.host],
            secret: kplus.Secret.fromSecretName(this, "tls", props.ingress.tlsSecret),
          }]
          : undefined,
      });
    }

    // Only HTTP to the gateway's port gets in; Prometheus scrapes the same port.
    new kplus.k8s.KubeNetworkPolicy(this, "network-policy", {
      metadata: { name, labels },
      spec: {
        podSelector: { matchLabels: this.deployment.matchLabels },
        policyTypes: ["Ingress"],
        ingress: [{ ports: [{ protocol: "TCP", port: kplus.k8s.IntOrString.fromNumber(PORT) }] }],
      },
    });
  }
}

/** Keys in a stable order, so a reordered config file yields the same ConfigMap. */
export function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
