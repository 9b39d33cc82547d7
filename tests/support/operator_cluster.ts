/**
 * Helpers for the operator's end-to-end tests on a real API server: install the CRD from operator/crd.ts,
 * create the namespace, worker Deployment and ConsumerAutoscaler, read the CR's status and Events, and
 * produce a backlog into Kafka.
 */
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from "@kubernetes/client-node";
import { Kafka, logLevel } from "kafkajs";
import type { ControlPlane } from "../../lib/testing/control_plane.ts";
import { consumerAutoscalerCrd, GROUP, PLURAL, VERSION } from "../../operator/crd.ts";
import type { ConsumerAutoscalerSpec } from "../../operator/core/types.ts";
import type { AutoscalerStatus } from "../../operator/controller/status.ts";

/** Polls `probe` until it returns a value other than undefined; bounded. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${lastError}`);
}

/** Applies the CRD with kubectl (server-side) and waits until it is Established. */
export async function installCrd(plane: ControlPlane, kc: KubeConfig): Promise<void> {
  const file = `${plane.dir}/consumerautoscalers.crd.json`;
  await Deno.writeTextFile(file, JSON.stringify(consumerAutoscalerCrd));
  await plane.kubectl(["apply", "--server-side", "--field-manager", "kafka-edge-test", "-f", file]);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await eventually("the CRD to be Established", 30_000, async () => {
    const crd = await ext.readCustomResourceDefinition({ name: consumerAutoscalerCrd.metadata.name });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
      ? true
      : undefined;
  });
}

/** Creates a namespace and a Deployment (no pods run: there is no kubelet; the pod simulator stands in). */
export async function createWorkload(
  kc: KubeConfig,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const labels = { app: name };
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, namespace },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "worker", image: "registry.invalid/kafka-edge-worker:test" }] },
        },
      },
    },
  });
}

/** Creates a ConsumerAutoscaler; rejects with the API server's error when the spec is invalid. */
export async function createAutoscaler(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: ConsumerAutoscalerSpec | Record<string, unknown>,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "ConsumerAutoscaler",
      metadata: { name, namespace },
      spec,
    },
  });
}

/** The CR's status (empty before the operator wrote any). */
export async function readStatus(kc: KubeConfig, namespace: string, name: string): Promise<AutoscalerStatus> {
  const cr = await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  }) as { status?: AutoscalerStatus };
  return cr.status ?? {};
}

/** The status of condition `type`, if set. */
export function conditionStatus(status: AutoscalerStatus, type: string): string | undefined {
  return status.conditions?.find((c) => c.type === type)?.status;
}

/** An Event as the tests look at it. */
export interface SeenEvent {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly instance?: string;
}

/** Events recorded for the CR `name` (in name order, which is not time order). */
export async function eventsFor(kc: KubeConfig, namespace: string, name: string): Promise<SeenEvent[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.map((e) => ({
    type: e.type,
    reason: e.reason,
    message: e.message,
    instance: e.reportingInstance,
  }));
}

/** The Deployment's metadata.generation: it goes up by one per spec change, so it counts scale writes. */
export async function deploymentGeneration(kc: KubeConfig, namespace: string, name: string): Promise<number> {
  const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
  return d.metadata?.generation ?? 0;
}

/** The holder of a Lease ("" when released). */
export async function leaseHolder(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });
  return lease.spec?.holderIdentity ?? "";
}

/** Produces `count` small events, spread round-robin over `partitions` (or all into one). */
export async function produce(
  bootstrap: string,
  topic: string,
  count: number,
  partitions: readonly number[],
): Promise<void> {
  const kafka = new Kafka({
    brokers: bootstrap.split(","),
    clientId: "e2e-producer",
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const chunk = 1000;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      await producer.send({
        topic,
        messages: Array.from({ length: n }, (_, i) => ({
          value: JSON.stringify({ seq: start + i }),
          partition: partitions[(start + i) % partitions.length],
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
