/**
 * The one way this app builds a Deployment for its Deno services (gateway, worker, operator), so every Pod
 * gets the same hardening: non-root, read-only root filesystem, no capabilities, seccomp RuntimeDefault,
 * requests and limits, probes, and no service-account token unless it asks for one.
 *
 * @module
 */
import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import type { Construct } from "constructs";

/** Where a service's mounted ConfigMaps and Secrets appear, one directory each. */
export const CONFIG_DIR = "/etc/kafka-edge";

/** UID/GID of the `deno` user in the denoland/deno images our Dockerfiles build on. */
export const RUN_AS_USER = 1000;

/** CPU in millicores and memory in MiB, for requests and limits. */
export interface ResourceSpec {
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryRequestMib: number;
  readonly memoryLimitMib: number;
}

/** A file mounted from a ConfigMap or Secret key. */
export interface FileMount {
  /** Volume name, unique within the Pod. */
  readonly volume: string;
  /** Directory the keys appear in. */
  readonly path: string;
  readonly source: { readonly configMap: kplus.IConfigMap } | { readonly secret: kplus.ISecret };
}

/** Props of {@link denoDeployment}. */
export interface DenoDeploymentProps {
  /** Deployment name; also `app.kubernetes.io/name` of its Pods. */
  readonly name: string;
  /** `app.kubernetes.io/component` of its Pods, e.g. `gateway`. */
  readonly component: string;
  /** Full image reference; validated at config parse to not be `latest`. */
  readonly image: string;
  readonly imagePullPolicy: "IfNotPresent" | "Always";
  /** Container args after the image's entrypoint; default: the image's CMD. */
  readonly args?: readonly string[];
  /** Port serving /healthz, /readyz and /metrics. */
  readonly port: number;
  /** Plain and secret-backed variables. */
  readonly env: Readonly<Record<string, kplus.EnvValue>>;
  /** ConfigMaps/Secrets whose keys all become variables. */
  readonly envFrom?: readonly kplus.EnvFrom[];
  readonly files?: readonly FileMount[];
  readonly resources: ResourceSpec;
  /**
   * Fixed replica count, for Deployments nothing autoscales. An autoscaled Deployment leaves it unset and
   * either gets a kplus HPA or calls {@link removeReplicas}. Default: unset.
   */
  readonly replicas?: number;
  /** Whether the Pod gets a ServiceAccount token. Default: none (false). */
  readonly serviceAccount?: kplus.IServiceAccount;
  /** Seconds Kubernetes waits after SIGTERM; keep above the service's SHUTDOWN_TIMEOUT. Default 30. */
  readonly terminationGraceSeconds?: number;
}

/** Labels every object of one deployable unit carries. */
export function unitLabels(name: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "kafka-edge",
    "app.kubernetes.io/managed-by": "cdk8s",
  };
}

/** A hardened Deployment for one of our Deno services. */
export function denoDeployment(scope: Construct, id: string, props: DenoDeploymentProps): kplus.Deployment {
  const labels = unitLabels(props.name, props.component);
  const deployment = new kplus.Deployment(scope, id, {
    metadata: { name: props.name, labels },
    podMetadata: {
      labels,
      annotations: {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(props.port),
        "prometheus.io/path": "/metrics",
      },
    },
    replicas: props.replicas,
    serviceAccount: props.serviceAccount,
    automountServiceAccountToken: props.serviceAccount !== undefined,
    terminationGracePeriod: Duration.seconds(props.terminationGraceSeconds ?? 30),
    securityContext: { ensureNonRoot: true, user: RUN_AS_USER, group: RUN_AS_USER, fsGroup: RUN_AS_USER },
    containers: [],
  });
  const container = deployment.addContainer({
    name: props.component,
    image: props.image,
    // The enum's values are the Kubernetes strings; passing the value through keeps Helm markers intact.
    imagePullPolicy: props.imagePullPolicy as kplus.ImagePullPolicy,
    args: props.args ? [...props.args] : undefined,
    ports: [{ name: "http", number: props.port }],
    envVariables: { ...props.env },
    envFrom: props.envFrom ? [...props.envFrom] : undefined,
    // Startup gives Deno time to compile; liveness then only restarts a process that stopped answering.
    startup: kplus.Probe.fromHttpGet("/healthz", {
      port: props.port,
      periodSeconds: Duration.seconds(2),
      failureThreshold: 30,
    }),
    liveness: kplus.Probe.fromHttpGet("/healthz", { port: props.port, periodSeconds: Duration.seconds(10) }),
    readiness: kplus.Probe.fromHttpGet("/readyz", { port: props.port, periodSeconds: Duration.seconds(5) }),
    resources: {
      cpu: {
        request: kplus.Cpu.millis(props.resources.cpuRequestMillis),
        limit: kplus.Cpu.millis(props.resources.cpuLimitMillis),
      },
      memory: {
        request: Size.mebibytes(props.resources.memoryRequestMib),
        limit: Size.mebibytes(props.resources.memoryLimitMib),
      },
    },
    securityContext: {
      ensureNonRoot: true,
      user: RUN_AS_USER,
      group: RUN_AS_USER,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      // kplus's Capability enum lists single capabilities only; "ALL" is what the restricted standard wants.
      capabilities: { drop: ["ALL" as kplus.Capability] },
    },
  });
  // The root filesystem is read-only; Deno and the npm packages still want a scratch directory.
  container.mount(
    "/tmp",
    kplus.Volume.fromEmptyDir(scope, `${id}-tmp`, "tmp", { sizeLimit: Size.mebibytes(64) }),
  );
  for (const file of props.files ?? []) {
    const volume = "configMap" in file.source
      ? kplus.Volume.fromConfigMap(scope, `${id}-${file.volume}`, file.source.configMap, {
        name: file.volume,
      })
      : kplus.Volume.fromSecret(scope, `${id}-${file.volume}`, file.source.secret, { name: file.volume });
    container.mount(file.path, volume, { readOnly: true });
  }
  // cdk8s-plus has no seccomp setting; RuntimeDefault is what the restricted Pod Security Standard demands.
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", { type: "RuntimeDefault" }),
  );
  return deployment;
}

/**
 * Drops `spec.replicas` from a Deployment that an external autoscaler (our operator or KEDA) owns; cdk8s-plus
 * writes 2 unless one of its own HPAs targets the Deployment.
 */
export function removeReplicas(deployment: kplus.Deployment): void {
  const obj = ApiObject.of(deployment);
  // The JSON patch must only run when the field exists, which it does unless a kplus HPA is attached.
  if (!deployment.hasAutoscaler) obj.addJsonPatch(JsonPatch.remove("/spec/replicas"));
}

/** A PodDisruptionBudget letting voluntary evictions take one Pod at a time. */
export function onePodAtATimeBudget(scope: Construct, id: string, deployment: kplus.Deployment): ApiObject {
  return new kplus.k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name: deployment.name, labels: deployment.metadata.toJson().labels },
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: deployment.matchLabels },
    },
  });
}
