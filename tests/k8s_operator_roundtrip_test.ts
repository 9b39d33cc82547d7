/**
 * The synthesized deployment and the lag operator together: the cdk8s app (k8s/) is synthesized from
 * k8s/config.example.yaml, and its `logger` worker Deployment and ConsumerAutoscaler (plus the Namespace they
 * live in) are server-side applied, strictly, to a real kube-apiserver with our CRD installed. The operator
 * (operator/main.ts, a subprocess) then has to find that CR, read the group's lag from a real Kafka over
 * SCRAM-SHA-512 + TLS, and scale the synthesized Deployment through its scale subresource once a backlog
 * appears — and touch nothing else of it.
 *
 * Why the CR's Kafka connection is patched, and only that: the synthesized CR points at Strimzi's in-cluster
 * bootstrap (`events-kafka-bootstrap.kafka-edge.svc:9094`) and at Secrets Strimzi would write (the cluster
 * CA, the operator's KafkaUser password) — none of which exist here, where Kafka is a local process and no
 * Strimzi runs. So the local Kafka is started with SCRAM and TLS, the CR's `bootstrapServers` is replaced by
 * its SASL_SSL listener, and Secrets carrying the fixture's CA and SCRAM credentials are created under the
 * very names (and keys) the CR references. Every other field of the CR — TLS on, SCRAM-SHA-512, the secret
 * references, group, topics, replica range, lagPerReplica, stabilization — is used exactly as synthesized,
 * and the Deployment is applied unchanged (it carries no `replicas`, so the API server defaults it to 1).
 *
 * There is no kubelet: no pod runs and nobody consumes, so the backlog simply stays; what is asserted is the
 * operator's scale write on the Deployment and the CR's status, observed from outside.
 */
import assert from "node:assert/strict";
import { AppsV1Api, CoreV1Api, type V1Deployment } from "@kubernetes/client-node";
import { startKafka } from "@kafka-edge/lib/testing";
import { startControlPlane } from "../lib/testing/control_plane.ts";
import { type Manifest, synthesize } from "../k8s/app.ts";
import { loadDeployConfig } from "../k8s/config.ts";
import { type ApplyReport, StrictApplier } from "../k8s/testing/apply.ts";
import { consumerAutoscalerCrd, KIND } from "../operator/crd.ts";
import type { ConsumerAutoscalerSpec } from "../operator/core/types.ts";
import { createTopics } from "./support/read_topic.ts";
import { type OperatorProcess, spawnOperator } from "./support/operator_process.ts";
import { conditionStatus, eventsFor, eventually, produce, readStatus } from "./support/operator_cluster.ts";

const EXAMPLE = new URL("../k8s/config.example.yaml", import.meta.url).pathname;
/** The worker of config.example.yaml whose autoscaling is exercised. */
const WORKER = "logger";
/** More than maxReplicas × lagPerReplica of the example (6 × 1000), spread over every partition. */
const BACKLOG = 9000;

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(18)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function assertClean(report: ApplyReport, expected: number): void {
  assert.deepEqual(report.rejected, [], "objects rejected by the API server");
  assert.deepEqual(report.warnings, [], "API server warnings");
  assert.equal(report.applied.length, expected);
}

type AutoscalerManifest = Manifest & { readonly spec: ConsumerAutoscalerSpec };

/** A deep copy of `cr` with `spec.kafka.bootstrapServers` replaced and nothing else. */
function withBootstrap(cr: AutoscalerManifest, bootstrapServers: string): AutoscalerManifest {
  const copy = structuredClone(cr);
  return { ...copy, spec: { ...copy.spec, kafka: { ...copy.spec.kafka, bootstrapServers } } };
}

/** The Deployment without what any write changes (version, generation, field managers, status) and replicas. */
function withoutReplicas(d: V1Deployment): unknown {
  const copy = structuredClone(d);
  delete copy.status;
  delete copy.spec?.replicas;
  if (copy.metadata) {
    delete copy.metadata.resourceVersion;
    delete copy.metadata.generation;
    delete copy.metadata.managedFields;
  }
  return copy;
}

Deno.test({
  name:
    "synthesized worker + ConsumerAutoscaler: the operator reads the backlog over SCRAM/TLS and scales only the Deployment's replicas",
  // client-node keeps keep-alive sockets, kafkajs keeps timers, fetch pools connections; all closed in finally.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const began = Date.now();
    const config = await loadDeployConfig(EXAMPLE);
    const manifests = synthesize(config).flatMap((f) => f.manifests);
    const worker = config.workers.find((w) => w.name === WORKER);
    assert.ok(worker, `config.example.yaml has a ${WORKER} worker`);
    const ns = config.namespace;
    const name = `kafka-edge-worker-${WORKER}`;
    const find = (kind: string, objName: string) => {
      const found = manifests.filter((m) => m.kind === kind && m.metadata.name === objName);
      assert.equal(found.length, 1, `one synthesized ${kind} ${objName}`);
      return found[0];
    };
    const namespace = find("Namespace", ns);
    const deployment = find("Deployment", name);
    const autoscaler = find(KIND, name) as AutoscalerManifest;
    const spec = autoscaler.spec;
    assert.equal(spec.scaleTargetRef.name, deployment.metadata.name, "the CR targets the worker Deployment");
    assert.equal(
      (deployment.spec as { replicas?: number }).replicas,
      undefined,
      "the autoscaler owns replicas",
    );
    const sasl = spec.kafka.sasl;
    const caRef = spec.kafka.tls?.caSecretRef;
    assert.ok(sasl && caRef && spec.kafka.tls?.enabled, "the synthesized CR connects with SCRAM over TLS");
    assert.equal(sasl.mechanism, "scram-sha-512");
    const topicPartitions = spec.topics.map((topic) => ({
      topic,
      numPartitions: config.topics.find((t) => t.name === topic)?.partitions ?? 1,
    }));
    const partitions = topicPartitions.reduce((n, t) => n + t.numPartitions, 0);
    // Strimzi names a KafkaUser's password Secret after the user, so that name is the SCRAM username.
    const username = sasl.passwordSecretRef.name;
    const password = randomSecret();

    const [kafkaStarted, planeStarted] = await Promise.allSettled([
      startKafka({ scram: true, tls: true, users: { [username]: password } }),
      startControlPlane(),
    ]);
    if (kafkaStarted.status === "rejected" || planeStarted.status === "rejected") {
      if (kafkaStarted.status === "fulfilled") await kafkaStarted.value.close();
      if (planeStarted.status === "fulfilled") await planeStarted.value.close();
      throw kafkaStarted.status === "rejected"
        ? kafkaStarted.reason
        : (planeStarted as PromiseRejectedResult).reason;
    }
    const k = kafkaStarted.value;
    const plane = planeStarted.value;
    const applier = new StrictApplier(plane.server, plane.token, plane.caPem);
    const logDir = await Deno.makeTempDir({ prefix: "kafka-edge-operator-roundtrip-" });
    let operator: OperatorProcess | undefined;
    let passed = false;
    console.log(`fixtures up in ${((Date.now() - began) / 1000).toFixed(1)} s; logs in ${logDir}`);
    try {
      const saslTlsBootstrap = k.tls?.saslBootstrap;
      assert.ok(saslTlsBootstrap, "the fixture has a SASL_SSL listener");
      const kc = plane.kubeConfig();
      const apps = kc.makeApiClient(AppsV1Api);
      // Topics first, as Strimzi's topic operator would have created them (the test's tooling uses the
      // fixture's PLAINTEXT listener; only the operator's connection is under test).
      await createTopics(k.bootstrap, topicPartitions);

      assertClean(await applier.applyAll([consumerAutoscalerCrd]), 1);
      await applier.waitEstablished([consumerAutoscalerCrd.metadata.name]);
      assertClean(await applier.applyAll([namespace]), 1);

      // What Strimzi would have written: the cluster CA and the operator's SCRAM credentials, under the
      // names and keys the synthesized CR references.
      const secrets = new Map<string, Record<string, string>>();
      const put = (ref: { name: string; key: string }, value: string) =>
        secrets.set(ref.name, { ...secrets.get(ref.name), [ref.key]: value });
      put(caRef, k.tls!.certs.caPem);
      put(sasl.usernameSecretRef, username);
      put(sasl.passwordSecretRef, password);
      const core = kc.makeApiClient(CoreV1Api);
      for (const [secretName, stringData] of secrets) {
        await core.createNamespacedSecret({
          namespace: ns,
          body: { metadata: { name: secretName, namespace: ns }, stringData },
        });
      }

      // The CR exactly as synthesized but for the bootstrap address (see the module comment).
      const patched = withBootstrap(autoscaler, saslTlsBootstrap);
      assert.deepEqual(
        withBootstrap(patched, ""),
        withBootstrap(autoscaler, ""),
        "only bootstrapServers differs from the synthesized CR",
      );
      assertClean(await applier.applyAll([deployment, patched]), 2);

      const initial = await apps.readNamespacedDeployment({ name, namespace: ns });
      const initialReplicas = initial.spec?.replicas;
      assert.equal(initialReplicas, 1, "the API server defaults the synthesized Deployment to 1 replica");

      operator = spawnOperator({
        identity: "op-roundtrip",
        kubeconfig: plane.kubeconfig,
        namespace: ns,
        logDir,
      });
      await operator.waitReady(90_000);

      // The operator found the synthesized CR and reads lag over SCRAM-SHA-512 + TLS: Ready, nothing to do.
      const idle = await eventually("the CR to be Ready with no lag", 90_000, async () => {
        const s = await readStatus(kc, ns, name);
        return conditionStatus(s, "Ready") === "True" && s.observed?.totalLag === 0 ? s : undefined;
      }, 500);
      assert.equal(conditionStatus(idle, "KafkaUnavailable"), "False");
      assert.equal(idle.observed?.partitionCount, partitions);
      assert.equal(
        (await apps.readNamespacedDeployment({ name, namespace: ns })).spec?.replicas,
        initialReplicas,
        "no scale write without a backlog",
      );

      const producing = Date.now();
      for (const { topic, numPartitions } of topicPartitions) {
        await produce(
          k.bootstrap,
          topic,
          BACKLOG,
          Array.from({ length: numPartitions }, (_, i) => i),
        );
      }
      const scaled = await eventually("a scale write on the synthesized Deployment", 120_000, async () => {
        const d = await apps.readNamespacedDeployment({ name, namespace: ns });
        return (d.spec?.replicas ?? 0) > initialReplicas ? d : undefined;
      }, 250);
      const replicas = scaled.spec!.replicas!;
      console.log(
        `scaled ${initialReplicas} → ${replicas} ${Date.now() - producing} ms after the backlog started`,
      );
      // 9000 events over every partition want more replicas than allowed (9 by lagPerReplica 1000 alone), so
      // the write goes to the cap: maxReplicas and the partition count, both 6 in the example.
      const expected = Math.min(spec.maxReplicas, partitions);
      assert.equal(replicas, expected, "scaled to the cap in one write");

      const status = await eventually("the CR status to report the scale", 60_000, async () => {
        const s = await readStatus(kc, ns, name);
        return s.desiredReplicas === replicas && s.currentReplicas === replicas ? s : undefined;
      }, 500);
      assert.equal(conditionStatus(status, "Ready"), "True");
      assert.equal(conditionStatus(status, "Active"), "True");
      assert.equal(conditionStatus(status, "KafkaUnavailable"), "False");
      assert.equal(conditionStatus(status, "ScalingLimited"), "True", "more were needed than the cap");
      assert.ok(
        (status.observed?.totalLag ?? 0) >= BACKLOG,
        `lag observed: ${JSON.stringify(status.observed)}`,
      );
      assert.equal(status.observed?.partitionsWithLag, partitions);
      assert.ok(status.lastScaleTime, "lastScaleTime set");
      const events = await eventsFor(kc, ns, name);
      assert.ok(
        events.some((e) =>
          e.reason === "Scaled" && e.message?.includes(`from ${initialReplicas} to ${replicas}`)
        ),
        `a Scaled event among ${JSON.stringify(events)}`,
      );

      // Nothing but spec.replicas changed, in one write, and the applied fields' ownership is as it was.
      const after = await apps.readNamespacedDeployment({ name, namespace: ns });
      assert.equal(after.spec?.replicas, replicas);
      assert.equal(after.metadata?.generation, (initial.metadata?.generation ?? 0) + 1, "exactly one write");
      assert.deepEqual(withoutReplicas(after), withoutReplicas(initial), "only spec.replicas changed");
      const managers = after.metadata?.managedFields ?? [];
      const before = new Set((initial.metadata?.managedFields ?? []).map((m) => m.manager));
      // kube-apiserver may or may not record a scale-subresource write as a manager of spec.replicas; if it
      // does, that manager must own spec.replicas and nothing else.
      for (const m of managers.filter((m) => !before.has(m.manager))) {
        assert.deepEqual(m.fieldsV1, { "f:spec": { "f:replicas": {} } }, `${m.manager} owns only replicas`);
      }
      assert.deepEqual(
        managers.filter((m) => before.has(m.manager)),
        initial.metadata?.managedFields,
        "the applied fields' ownership is untouched",
      );
      console.log(`total ${((Date.now() - began) / 1000).toFixed(0)} s`);
      passed = true;
    } finally {
      await operator?.stop(15_000).catch(() => {});
      applier.close();
      await plane.close();
      await k.close();
      // The operator's log explains a failure; keep it then, and only then.
      if (passed) await Deno.remove(logDir, { recursive: true });
      else console.log(`operator logs kept in ${logDir}`);
    }
  },
});
