/**
 * Everything users deploy, checked by a real kube-apiserver: with the Strimzi 1.x and KEDA CRDs (read from
 * KAFKA_EDGE_CRDS_DIR, default ../shared/crds) and our ConsumerAutoscaler CRD installed, every synthesized
 * object of both Kafka profiles and both autoscaler modes, and `helm template` output for default and
 * non-default values, is server-side applied with fieldValidation=Strict: no object may be rejected and
 * no response may carry a Warning (unknown or duplicate fields, deprecated APIs).
 */
import assert from "node:assert/strict";
import { startControlPlane } from "../lib/testing/control_plane.ts";
import { RESTRICTED_NAMESPACE_LABELS, synthesize } from "../k8s/app.ts";
import { type DeployConfig, loadDeployConfig } from "../k8s/config.ts";
import { consumerAutoscalerCrd } from "../operator/crd.ts";
import { type ApplyReport, StrictApplier } from "../k8s/testing/apply.ts";
import { crdsDir, ensureHelm, helm, parseManifests, readCrds } from "../k8s/testing/env.ts";

const EXAMPLE = new URL("../k8s/config.example.yaml", import.meta.url).pathname;
const CHART = new URL("../charts/kafka-edge", import.meta.url).pathname;

function assertClean(report: ApplyReport, expected: number): void {
  assert.deepEqual(report.rejected, [], "objects rejected by the API server");
  assert.deepEqual(report.warnings, [], "API server warnings");
  assert.equal(report.applied.length, expected);
}

function kinds(manifests: readonly Record<string, unknown>[]): string {
  const counts = new Map<string, number>();
  for (const m of manifests) counts.set(String(m.kind), (counts.get(String(m.kind)) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}×${n}`).join(" ");
}

/** The example config reshaped to exercise more of the constructs (jwt, ingress, multi-topic worker). */
function variant(base: DeployConfig, profile: "dev" | "prod", autoscaler: "operator" | "keda"): DeployConfig {
  const rich = profile === "prod";
  return {
    ...base,
    namespace: `synth-${profile}-${autoscaler}`,
    profile,
    autoscaler,
    gateway: {
      ...base.gateway,
      auth: rich ? ["api-key", "jwt"] : base.gateway.auth,
      jwt: rich
        ? { issuer: "https://issuer.example/", audience: "kafka-edge", jwksSecret: "gateway-jwks" }
        : undefined,
      ingress: { ...base.gateway.ingress, enabled: rich, tlsSecret: rich ? "events-tls" : undefined },
    },
    workers: rich
      ? [...base.workers, {
        name: "fanout",
        topics: base.topics.map((t) => t.name),
        sink: "postgres",
        replicas: { min: 0, max: 4 },
        lagPerReplica: 500,
        scaleToZero: true,
        deadLetterTopic: `${base.topics[0].name}.dlq`,
        env: { POSTGRES_TABLE: "events" },
        secretEnv: "fanout-postgres",
      }]
      : base.workers,
  };
}

Deno.test({
  name:
    "k8s manifests: a real kube-apiserver accepts every synthesized and Helm-rendered object strictly, without warnings",
  // The API server and etcd are child processes closed in finally; fetch keeps pooled sockets.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cp = await startControlPlane();
    const applier = new StrictApplier(cp.server, cp.token, cp.caPem);
    try {
      await t.step("Strimzi, KEDA and ConsumerAutoscaler CRDs install and become established", async () => {
        const crds = [
          ...await readCrds(crdsDir()),
          consumerAutoscalerCrd as unknown as Record<string, unknown>,
        ];
        assert.ok(crds.length >= 7, `expected Strimzi + KEDA CRDs in ${crdsDir()}, found ${crds.length}`);
        assertClean(await applier.applyAll(crds), crds.length);
        await applier.waitEstablished(crds.map((c) => (c.metadata as { name: string }).name));
      });

      await t.step(
        "negative control: an unknown field is rejected and a root pod template draws a warning",
        async () => {
          const ns = {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "control", labels: RESTRICTED_NAMESPACE_LABELS },
          };
          const topic = {
            apiVersion: "kafka.strimzi.io/v1",
            kind: "KafkaTopic",
            metadata: { name: "t", namespace: "control" },
            spec: { partitionz: 3 },
          };
          const labels = { app: "root" };
          const rootDeployment = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "root", namespace: "control" },
            spec: {
              selector: { matchLabels: labels },
              template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "example/c:1" }] } },
            },
          };
          const report = await applier.applyAll([ns, topic, rootDeployment]);
          assert.deepEqual(report.rejected.map((r) => r.object), ["KafkaTopic/control/t"]);
          assert.match(report.rejected[0].message, /spec\.partitionz: field not declared in schema/);
          assert.deepEqual(report.warnings.map((w) => w.object), ["Deployment/control/root"]);
          assert.match(report.warnings[0].warning, /restricted/);
        },
      );

      const base = await loadDeployConfig(EXAMPLE);
      for (const profile of ["dev", "prod"] as const) {
        for (const autoscaler of ["operator", "keda"] as const) {
          await t.step(
            `synth ${profile} profile with the ${autoscaler} autoscaler applies cleanly`,
            async () => {
              const manifests = synthesize(variant(base, profile, autoscaler)).flatMap((f) => f.manifests);
              const report = await applier.applyAll(manifests);
              console.log(
                `  ${profile}/${autoscaler}: ${report.applied.length} objects (${kinds(manifests)})`,
              );
              assertClean(report, manifests.length);
            },
          );
        }
      }

      const bin = await ensureHelm();
      const valueSets: Record<string, string[]> = {
        "default values": [],
        "prod, keda, ingress, other images and ranges": [
          "--set",
          "profile=prod,autoscaler=keda,gateway.ingress.enabled=true,gateway.ingress.host=in.example.org",
          "--set",
          "images.registry=registry.example/team,images.worker.tag=2.0.1,workers.logger.replicas.max=12",
          "--set",
          "topics.logs.partitions=24,kafka.storageSize=500Gi",
        ],
      };
      for (const [label, args] of Object.entries(valueSets)) {
        await t.step(`helm lint and helm template with ${label} apply cleanly`, async () => {
          await helm(bin, ["lint", "--strict", CHART, ...args]);
          const ns = `helm-${Object.keys(valueSets).indexOf(label)}`;
          const rendered = parseManifests(
            await helm(bin, ["template", "kafka-edge", CHART, "--namespace", ns, "--include-crds", ...args]),
          );
          const namespace = {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS },
          };
          const report = await applier.applyAll([namespace, ...rendered]);
          console.log(`  helm ${label}: ${report.applied.length - 1} objects (${kinds(rendered)})`);
          assertClean(report, rendered.length + 1);
        });
      }
    } finally {
      applier.close();
      await cp.close();
    }
  },
});
