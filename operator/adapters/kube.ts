/**
 * The controller's Kubernetes ports on @kubernetes/client-node: the autoscaler CRs and their status,
 * Deployments' scale subresource (the only way replicas are written), Events, Secrets, the leader Lease,
 * and an informer on ConsumerAutoscalers that restarts itself with backoff after errors (client-node's
 * ListWatch stops for good on the first error, e.g. while the API server restarts).
 *
 * @module
 */
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
} from "@kubernetes/client-node";
import type { Logger } from "@kafka-edge/lib";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from "../crd.ts";
import type { AutoscalerSource } from "../controller/controller.ts";
import type { LeasePort, LeaseRecord } from "../controller/leader.ts";
import type { AutoscalerObject, EventSubject, KubePort, ScaleView } from "../controller/ports.ts";
import type { AutoscalerStatus } from "../controller/status.ts";

/** HTTP status of a client-node error, if it is one. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

async function orUndefinedOn404<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}

interface RawAutoscaler extends KubernetesObject {
  readonly spec?: unknown;
  readonly status?: AutoscalerStatus;
}

function toAutoscaler(raw: RawAutoscaler): AutoscalerObject {
  return {
    namespace: raw.metadata?.namespace ?? "",
    name: raw.metadata?.name ?? "",
    uid: raw.metadata?.uid ?? "",
    generation: raw.metadata?.generation ?? 0,
    spec: raw.spec,
    status: raw.status,
  };
}

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Options for {@link createKubePort}. */
export interface KubePortOptions {
  /** `reportingInstance` of Events (the pod name). */
  readonly identity: string;
  readonly component?: string;
}

/** The controller's {@link KubePort} over client-node. */
export function createKubePort(kc: KubeConfig, options: KubePortOptions): KubePort {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const component = options.component ?? "kafka-edge-operator";
  return {
    async getAutoscaler(namespace, name) {
      const raw = await orUndefinedOn404<RawAutoscaler>(
        custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name }),
      );
      return raw && toAutoscaler(raw);
    },
    async getScale(namespace, deployment): Promise<ScaleView | undefined> {
      const scale = await orUndefinedOn404(
        apps.readNamespacedDeploymentScale({ name: deployment, namespace }),
      );
      if (!scale) return undefined;
      return { replicas: scale.spec?.replicas ?? 0, resourceVersion: scale.metadata?.resourceVersion ?? "" };
    },
    async writeScale(namespace, deployment, replicas, resourceVersion) {
      await apps.replaceNamespacedDeploymentScale({
        name: deployment,
        namespace,
        fieldManager: component,
        body: {
          apiVersion: "autoscaling/v1",
          kind: "Scale",
          metadata: { name: deployment, namespace, resourceVersion },
          spec: { replicas },
        },
      });
    },
    async patchStatus(namespace, name, status) {
      await custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { status } },
        MERGE_PATCH,
      );
    },
    async emitEvent(subject: EventSubject, type, reason, message) {
      const now = new Date();
      await core.createNamespacedEvent({
        namespace: subject.namespace,
        body: {
          metadata: { generateName: `${subject.name}.`, namespace: subject.namespace },
          involvedObject: {
            apiVersion: API_VERSION,
            kind: KIND,
            name: subject.name,
            namespace: subject.namespace,
            uid: subject.uid,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component },
          reportingComponent: component,
          reportingInstance: options.identity,
        },
      });
    },
  };
}

/** Reads one key of a Secret, decoded as UTF-8. */
export function createSecretReader(
  kc: KubeConfig,
): (namespace: string, name: string, key: string) => Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  return async (namespace, name, key) => {
    const secret = await core.readNamespacedSecret({ name, namespace });
    const b64 = secret.data?.[key];
    if (b64 === undefined) throw new Error(`Secret ${namespace}/${name} has no key ${key}`);
    return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  };
}

/** Options for {@link createAutoscalerInformer}. */
export interface InformerOptions {
  /** Watch only this namespace; undefined: all namespaces. */
  readonly namespace?: string;
  readonly log: Logger;
  /** Restart delay after an error: doubles from 500 ms up to this (default 10 s). */
  readonly maxBackoffMs?: number;
}

/** An informer on ConsumerAutoscalers reporting adds, spec changes and deletes as keys. */
export function createAutoscalerInformer(kc: KubeConfig, options: InformerOptions): AutoscalerSource {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { namespace, log } = options;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  const path = namespace === undefined
    ? `/apis/${GROUP}/${VERSION}/${PLURAL}`
    : `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
  const list = (): Promise<KubernetesListObject<RawAutoscaler>> =>
    namespace === undefined
      ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace });
  const informer = makeInformer<RawAutoscaler>(kc, path, async () => {
    const result = await list();
    listedOk = true;
    return result;
  });
  const generations = new Map<string, number>();
  let listedOk = false;
  let failing = false;
  let stopped = false;
  let backoff = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const keyOf = (o: RawAutoscaler) => `${o.metadata?.namespace}/${o.metadata?.name}`;

  return {
    start(handlers) {
      const seen = (o: RawAutoscaler) => {
        const key = keyOf(o);
        const generation = o.metadata?.generation ?? 0;
        if (generations.get(key) === generation) return;
        generations.set(key, generation);
        handlers.changed(key);
      };
      informer.on("add", seen);
      // Our own status writes arrive as updates too; only a new generation (spec change) is news.
      informer.on("update", seen);
      informer.on("delete", (o) => {
        generations.delete(keyOf(o));
        handlers.deleted(keyOf(o));
      });
      informer.on("connect", () => {
        if (!failing) return;
        failing = false;
        backoff = 500;
        log.info("autoscaler watch reconnected");
      });
      informer.on("error", (err) => {
        if (stopped) return;
        failing = true;
        log.warn("autoscaler watch failed; restarting", { err, retryInMs: backoff });
        timer = setTimeout(() => {
          if (!stopped) void informer.start().catch(() => {});
        }, backoff);
        backoff = Math.min(maxBackoff, backoff * 2);
      });
      void informer.start().catch(() => {});
    },
    keys: () => informer.list().map(keyOf),
    synced: () => listedOk && !failing,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}

interface RawLease {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    readonly acquireTime?: Date | string;
    readonly renewTime?: Date | string;
    readonly leaseTransitions?: number;
  };
}

function millis(t: Date | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** The leader Lease `namespace/name` as a {@link LeasePort}. */
export function createLeasePort(kc: KubeConfig, namespace: string, name: string): LeasePort {
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const body = (r: LeaseRecord) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holder,
      leaseDurationSeconds: r.durationSeconds,
      leaseTransitions: r.transitions,
      ...(r.acquireTime === undefined ? {} : { acquireTime: new V1MicroTime(r.acquireTime) }),
      ...(r.renewTime === undefined ? {} : { renewTime: new V1MicroTime(r.renewTime) }),
    },
  });
  const conflictToFalse = (err: unknown) => {
    if (apiStatus(err) === 409) return false;
    throw err;
  };
  return {
    async get() {
      const lease = await orUndefinedOn404<RawLease>(coordination.readNamespacedLease({ name, namespace }));
      if (!lease) return undefined;
      const spec = lease.spec ?? {};
      return {
        holder: spec.holderIdentity ?? "",
        durationSeconds: spec.leaseDurationSeconds ?? 15,
        acquireTime: millis(spec.acquireTime),
        renewTime: millis(spec.renewTime),
        transitions: spec.leaseTransitions ?? 0,
        resourceVersion: lease.metadata?.resourceVersion,
      };
    },
    create: (r) =>
      coordination.createNamespacedLease({ namespace, body: body(r) }).then(() => true, conflictToFalse),
    update: (r) =>
      coordination.replaceNamespacedLease({ name, namespace, body: body(r) }).then(
        () => true,
        conflictToFalse,
      ),
  };
}
