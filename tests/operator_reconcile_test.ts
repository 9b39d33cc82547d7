/**
 * One reconcile step against fake ports and a scripted core (no I/O): what it writes, to which subresource,
 * what it records in status, and what it refuses to do (write without lag, write as a standby, spam Events).
 */
import assert from "node:assert/strict";
import { createLogger } from "@kafka-edge/lib";
import type {
  ConsumerAutoscalerSpec,
  Decision,
  DecisionInput,
  DecisionState,
  LagObservation,
  LagSample,
} from "../operator/core/types.ts";
import { createSampleHistory } from "../operator/controller/history.ts";
import type {
  AutoscalerObject,
  CorePort,
  KubePort,
  LagPort,
  LagReading,
} from "../operator/controller/ports.ts";
import { reconcile, type ReconcileDeps } from "../operator/controller/reconcile.ts";
import type { AutoscalerStatus } from "../operator/controller/status.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");

const spec: ConsumerAutoscalerSpec = {
  scaleTargetRef: { kind: "Deployment", name: "worker" },
  kafka: { bootstrapServers: "kafka:9092" },
  groupId: "g",
  topics: ["t"],
  minReplicas: 1,
  maxReplicas: 10,
  pollIntervalSeconds: 2,
};

const observation: LagObservation = {
  at: NOW,
  partitionCount: 6,
  totalLag: 9000,
  maxPartitionLag: 1500,
  partitionsWithLag: 6,
  arrivalRate: 0,
  processingRate: 50,
  timeLagSeconds: 12.345,
  stalled: [],
};

/** Fake ports recording every call. */
function world(options: {
  cr?: Partial<AutoscalerObject> | null;
  replicas?: number | null;
  lag?: "ok" | "fail";
  desired?: number;
  leader?: boolean;
}) {
  const calls: string[] = [];
  const statuses: AutoscalerStatus[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const decideInputs: DecisionInput[] = [];
  const released: string[] = [];
  const cr: AutoscalerObject | undefined = options.cr === null ? undefined : {
    namespace: "ns",
    name: "orders",
    uid: "uid-1",
    generation: 3,
    spec,
    ...options.cr,
  };
  let replicas = options.replicas === null ? undefined : options.replicas ?? 1;
  const kube: KubePort = {
    getAutoscaler: () => Promise.resolve(cr),
    getScale: () =>
      Promise.resolve(replicas === undefined ? undefined : { replicas, resourceVersion: "rv-7" }),
    writeScale(namespace, deployment, n, rv) {
      calls.push(`writeScale ${namespace}/${deployment} ${n} ${rv}`);
      replicas = n;
      return Promise.resolve();
    },
    patchStatus(_ns, _name, status) {
      statuses.push(status);
      return Promise.resolve();
    },
    emitEvent(_subject, type, reason, message) {
      events.push({ type, reason, message });
      return Promise.resolve();
    },
  };
  const sample: LagSample = { at: NOW - 5, partitions: [] };
  const lag: LagPort = {
    read: () =>
      options.lag === "fail"
        ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9092"))
        : Promise.resolve<LagReading>({ sample, logStartOffsets: new Map() }),
    release(key) {
      released.push(key);
      return Promise.resolve();
    },
  };
  const core: CorePort = {
    observe: () => observation,
    learnRate: (state) => ({ ...state, perReplicaRate: 48.5 }),
    decide(input): Decision {
      decideInputs.push(input);
      const desired = input.observation === undefined ? input.state.currentReplicas : options.desired ?? 1;
      const state: DecisionState = {
        ...input.state,
        recommendations: [...input.state.recommendations, { at: input.now, replicas: desired }],
      };
      return {
        desired,
        needed: 12,
        limitedBy: desired === 6 ? "partitions" : "none",
        reason: "because",
        state,
      };
    },
  };
  const deps: ReconcileDeps = {
    kube,
    lag,
    core,
    history: createSampleHistory(),
    now: () => NOW,
    log: createLogger({ level: "error", sink: () => {} }),
    isLeader: () => options.leader ?? true,
  };
  return { deps, calls, statuses, events, decideInputs, released };
}

Deno.test("reconcile: a need above the current count is written once, to the scale subresource, with its rv", async () => {
  const w = world({ replicas: 1, desired: 6 });
  const result = await reconcile("ns/orders", w.deps);
  assert.deepEqual(result, { outcome: "scaled", requeueAfterMs: 2_000, from: 1, to: 6 });
  assert.deepEqual(w.calls, ["writeScale ns/worker 6 rv-7"]);
  assert.equal(w.events.length, 1);
  assert.equal(w.events[0].reason, "Scaled");
  assert.match(w.events[0].message, /from 1 to 6: because/);
  const [status] = w.statuses;
  assert.equal(status.observedGeneration, 3);
  assert.equal(status.currentReplicas, 6);
  assert.equal(status.desiredReplicas, 6);
  assert.equal(status.neededReplicas, 12);
  assert.equal(status.lastScaleTime, "2026-11-25T12:00:00Z");
  assert.equal(status.observed?.totalLag, 9000);
  assert.equal(status.observed?.timeLagSeconds, 12.35);
  assert.equal(status.observed?.perReplicaRate, 48.5);
  assert.equal(status.decisionState?.lastScaleAt, NOW);
  assert.equal(status.decisionState?.currentReplicas, 6);
  const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, c.status]));
  assert.deepEqual(byType, {
    Ready: "True",
    Active: "True",
    ScalingLimited: "True",
    KafkaUnavailable: "False",
  });
});

Deno.test("reconcile: the DecisionState in status is what the core continues from (restart safety)", async () => {
  const decisionState: DecisionState = {
    currentReplicas: 4,
    lastScaleAt: NOW - 10_000,
    recommendations: [{ at: NOW - 3_000, replicas: 6 }],
    perReplicaRate: 40,
  };
  const w = world({ cr: { status: { decisionState } }, replicas: 6, desired: 6 });
  const result = await reconcile("ns/orders", w.deps);
  assert.equal(result.outcome, "steady");
  assert.deepEqual(w.calls, [], "no write when the decision equals the Deployment's count");
  const input = w.decideInputs[0];
  assert.equal(input.state.currentReplicas, 6, "the live scale wins over the remembered count");
  assert.equal(input.state.lastScaleAt, NOW - 10_000);
  assert.deepEqual(input.state.recommendations, [{ at: NOW - 3_000, replicas: 6 }]);
  assert.equal(
    w.statuses[0].decisionState?.lastScaleAt,
    NOW - 10_000,
    "no write, so the hold keeps its start",
  );
});

Deno.test("reconcile: lag unreadable → observation undefined, no write, KafkaUnavailable and one Warning", async () => {
  const w = world({ replicas: 6, lag: "fail", desired: 1 });
  const result = await reconcile("ns/orders", w.deps);
  assert.equal(result.outcome, "kafkaUnavailable");
  assert.equal(w.decideInputs[0].observation, undefined);
  assert.deepEqual(w.calls, []);
  assert.deepEqual(w.released, ["ns/orders"], "the client is rebuilt next time");
  const conditions = Object.fromEntries(w.statuses[0].conditions!.map((c) => [c.type, c]));
  assert.equal(conditions.KafkaUnavailable.status, "True");
  assert.match(conditions.KafkaUnavailable.message, /ECONNREFUSED/);
  assert.equal(conditions.Ready.status, "False");
  assert.equal(w.statuses[0].observed, undefined, "the last good observation is kept, not overwritten");
  assert.deepEqual(w.events.map((e) => `${e.type} ${e.reason}`), ["Warning KafkaUnavailable"]);

  // Still down on the next poll: no second Warning.
  const again = world({ cr: { status: w.statuses[0] }, replicas: 6, lag: "fail" });
  await reconcile("ns/orders", again.deps);
  assert.deepEqual(again.events, []);
  const transition = again.statuses[0].conditions!.find((c) => c.type === "KafkaUnavailable")!;
  assert.equal(transition.lastTransitionTime, conditions.KafkaUnavailable.lastTransitionTime);

  // Back: a Normal event marks recovery.
  const back = world({ cr: { status: w.statuses[0] }, replicas: 6, desired: 6 });
  await reconcile("ns/orders", back.deps);
  assert.deepEqual(back.events.map((e) => `${e.type} ${e.reason}`), ["Normal KafkaAvailable"]);
});

Deno.test("reconcile: a standby never writes, not even status", async () => {
  const w = world({ replicas: 1, desired: 6, leader: false });
  const result = await reconcile("ns/orders", w.deps);
  assert.equal(result.outcome, "notLeader");
  assert.deepEqual(w.calls, []);
  assert.deepEqual(w.statuses, []);
});

Deno.test("reconcile: an invalid spec sets Ready=False InvalidSpec once and does not poll", async () => {
  const w = world({ cr: { spec: { ...spec, minReplicas: 5, maxReplicas: 2 } } });
  const result = await reconcile("ns/orders", w.deps);
  assert.deepEqual(result, { outcome: "invalid" });
  const ready = w.statuses[0].conditions!.find((c) => c.type === "Ready")!;
  assert.equal(ready.status, "False");
  assert.equal(ready.reason, "InvalidSpec");
  assert.match(ready.message, /minReplicas must be less than or equal to maxReplicas/);
  assert.equal(w.events.length, 1);
  const again = world({ cr: { spec: { ...spec, minReplicas: 5, maxReplicas: 2 }, status: w.statuses[0] } });
  await reconcile("ns/orders", again.deps);
  assert.equal(again.events.length, 0, "the same problem is not announced twice");
});

Deno.test("reconcile: with a single sample (no rates yet) nothing is decided or written; the next poll is", async () => {
  const w = world({ replicas: 1, desired: 6 });
  const deps: ReconcileDeps = { ...w.deps, core: { ...w.deps.core, observe: () => undefined } };
  const result = await reconcile("ns/orders", deps);
  assert.deepEqual(result, { outcome: "warmingUp", requeueAfterMs: 2_000 });
  assert.deepEqual(w.decideInputs, []);
  assert.deepEqual(w.calls, []);
  assert.deepEqual(w.statuses, []);
});

Deno.test("reconcile: a non-finite learnt rate is dropped so the core falls back to the prior", async () => {
  const w = world({ replicas: 1, desired: 1 });
  const deps: ReconcileDeps = {
    ...w.deps,
    core: { ...w.deps.core, learnRate: (state) => ({ ...state, perReplicaRate: Number.NaN }) },
  };
  await reconcile("ns/orders", deps);
  assert.equal(w.decideInputs[0].state.perReplicaRate, undefined);
});

Deno.test("reconcile: a missing Deployment sets TargetNotFound and polls again", async () => {
  const w = world({ replicas: null });
  const result = await reconcile("ns/orders", w.deps);
  assert.deepEqual(result, { outcome: "targetNotFound", requeueAfterMs: 2_000 });
  assert.equal(w.statuses[0].conditions![0].reason, "TargetNotFound");
});

Deno.test("reconcile: a deleted autoscaler releases its Kafka client and is not polled again", async () => {
  const w = world({ cr: null });
  const result = await reconcile("ns/orders", w.deps);
  assert.deepEqual(result, { outcome: "gone" });
  assert.deepEqual(w.released, ["ns/orders"]);
  assert.deepEqual(w.statuses, []);
});
