/**
 * Snapshot tests of the synthesized YAML (k8s/__snapshots__/, refresh with `UPDATE_SNAPSHOTS=1 deno test -A
 * k8s/`) plus invariants checked on every profile × autoscaler combination: nothing an autoscaler owns has
 * `replicas`, every container is hardened and probed, no image is `latest`, ACLs are least-privilege, and
 * the committed Helm chart is what the generator produces now.
 */
import assert from "node:assert/strict";
import { type Manifest, synthesize, toYaml } from "./app.ts";
import { type DeployConfig, loadDeployConfig } from "./config.ts";
import { chartFiles } from "./helm/chart.ts";

const EXAMPLE = new URL("./config.example.yaml", import.meta.url).pathname;
const SNAPSHOTS = new URL("./__snapshots__/", import.meta.url);
const CHART = new URL("../charts/kafka-edge/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

// Tests walk arbitrary manifest trees; typing every kind's schema here would add nothing.
// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const example = await loadDeployConfig(EXAMPLE);
const combos = (["dev", "prod"] as const).flatMap((profile) =>
  (["operator", "keda"] as const).map((autoscaler) => ({ profile, autoscaler }))
);

function configFor(profile: "dev" | "prod", autoscaler: "operator" | "keda"): DeployConfig {
  return {
    ...example,
    profile,
    autoscaler,
    gateway: { ...example.gateway, ingress: { ...example.gateway.ingress, enabled: profile === "prod" } },
  };
}

function all(config: DeployConfig): Json[] {
  return synthesize(config).flatMap((f) => f.manifests) as Json[];
}

async function matchSnapshot(name: string, actual: string): Promise<void> {
  const file = new URL(`${name}.yaml`, SNAPSHOTS);
  if (UPDATE) {
    await Deno.mkdir(SNAPSHOTS, { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  const expected = await Deno.readTextFile(file).catch(() =>
    "(no snapshot: run UPDATE_SNAPSHOTS=1 deno test -A k8s/)"
  );
  assert.equal(actual, expected, `${name} changed; if intended: UPDATE_SNAPSHOTS=1 deno test -A k8s/`);
}

for (const { profile, autoscaler } of combos) {
  const label = `${profile}-${autoscaler}`;
  Deno.test(`synth ${label}: output matches the committed snapshot and is the same on every run`, async () => {
    const render = () =>
      synthesize(configFor(profile, autoscaler)).map((f) => toYaml(f.manifests, `file: ${f.file}`)).join("");
    const text = render();
    assert.equal(render(), text);
    await matchSnapshot(label, text);
  });
}

Deno.test("synth: files come in apply order, and the CRD precedes every ConsumerAutoscaler", () => {
  const files = synthesize(example);
  assert.deepEqual(files.map((f) => f.file), [
    "00-cluster.yaml",
    "10-kafka.yaml",
    "20-topics.yaml",
    "30-operator.yaml",
    "40-gateway.yaml",
    "50-worker-logger.yaml",
    "50-worker-notifier.yaml",
  ]);
  const kinds = files.flatMap((f) => f.manifests.map((m: Manifest) => m.kind));
  assert.equal(kinds[0], "Namespace");
  assert.ok(kinds.indexOf("CustomResourceDefinition") < kinds.indexOf("ConsumerAutoscaler"));
  assert.ok(kinds.indexOf("Kafka") < kinds.indexOf("KafkaTopic"));
});

for (const { profile, autoscaler } of combos) {
  const label = `${profile}/${autoscaler}`;

  Deno.test(`synth ${label}: Deployments an autoscaler owns have no replicas; the others have a fixed count`, () => {
    const objects = all(configFor(profile, autoscaler));
    const scaled = new Set(
      objects.filter((o) =>
        ["HorizontalPodAutoscaler", "ScaledObject", "ConsumerAutoscaler"].includes(o.kind)
      )
        .map((o) => o.spec.scaleTargetRef.name),
    );
    const deployments = objects.filter((o) => o.kind === "Deployment");
    assert.equal(scaled.size, deployments.length - (autoscaler === "operator" ? 1 : 0));
    for (const d of deployments) {
      if (scaled.has(d.metadata.name)) assert.equal(d.spec.replicas, undefined, d.metadata.name);
      else {
        assert.equal(d.metadata.name, "kafka-edge-operator");
        assert.equal(d.spec.replicas, 2);
      }
    }
  });

  Deno.test(`synth ${label}: every container is non-root, read-only, capability-free, probed and bounded`, () => {
    for (const d of all(configFor(profile, autoscaler)).filter((o) => o.kind === "Deployment")) {
      const pod = d.spec.template.spec;
      const where = d.metadata.name;
      assert.equal(pod.securityContext.runAsNonRoot, true, where);
      assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" }, where);
      assert.equal(pod.automountServiceAccountToken, where === "kafka-edge-operator", where);
      for (const c of pod.containers) {
        const sc = c.securityContext;
        assert.equal(sc.runAsNonRoot, true, where);
        assert.equal(sc.readOnlyRootFilesystem, true, where);
        assert.equal(sc.allowPrivilegeEscalation, false, where);
        assert.deepEqual(sc.capabilities.drop, ["ALL"], where);
        assert.equal(c.livenessProbe.httpGet.path, "/healthz", where);
        assert.equal(c.readinessProbe.httpGet.path, "/readyz", where);
        for (const kind of ["requests", "limits"]) {
          assert.ok(c.resources[kind].cpu && c.resources[kind].memory, `${where} ${kind}`);
        }
        assert.match(c.image, /:[0-9][\w.-]*$/, `${where}: image must carry a version tag`);
        assert.doesNotMatch(c.image, /:latest$/, where);
      }
    }
  });

  Deno.test(`synth ${label}: Kafka ACLs are literal and least-privilege for each role`, () => {
    const config = configFor(profile, autoscaler);
    const users = new Map(
      all(config).filter((o) => o.kind === "KafkaUser").map((u) => [u.metadata.name, u.spec]),
    );
    const acl = (name: string) =>
      users.get(name).authorization.acls.map((a: Json) =>
        `${a.resource.type}:${a.resource.name}:${a.operations}`
      )
        .sort();
    for (const spec of users.values()) {
      assert.equal(spec.authentication.type, "scram-sha-512");
      for (const a of spec.authorization.acls) {
        assert.equal(a.resource.patternType, "literal");
        assert.notEqual(a.resource.name, "*");
        assert.ok(!a.operations.includes("All"));
      }
    }
    assert.deepEqual(acl("kafka-edge-gateway"), [
      "topic:logs:Write,Describe",
      "topic:notifications:Write,Describe",
    ]);
    assert.deepEqual(acl("kafka-edge-worker-logger"), [
      "group:kafka-edge-logger:Read",
      "topic:logs.dlq:Write,Describe",
      "topic:logs:Read,Describe",
    ]);
    if (autoscaler === "operator") {
      assert.deepEqual(acl("kafka-edge-operator"), [
        "group:kafka-edge-logger:Describe",
        "group:kafka-edge-notifier:Describe",
        "topic:logs:Describe",
        "topic:notifications:Describe",
      ]);
    } else assert.ok(!users.has("kafka-edge-operator"));
  });
}

Deno.test("synth: prod runs 3 controllers + 3 brokers with RF 3, min ISR 2 and no unclean leader election", () => {
  const objects = all(configFor("prod", "operator"));
  const pools = objects.filter((o) => o.kind === "KafkaNodePool").map((
    p,
  ) => [p.spec.roles.join(), p.spec.replicas]);
  assert.deepEqual(pools, [["controller", 3], ["broker", 3]]);
  const config = objects.find((o) => o.kind === "Kafka")!.spec.kafka.config;
  assert.equal(config["default.replication.factor"], 3);
  assert.equal(config["min.insync.replicas"], 2);
  assert.equal(config["unclean.leader.election.enable"], false);
  for (const t of objects.filter((o) => o.kind === "KafkaTopic")) assert.equal(t.spec.replicas, 3);
  const dev = all(configFor("dev", "operator")).filter((o) => o.kind === "KafkaNodePool");
  assert.deepEqual(dev.map((p) => [p.spec.roles.join(), p.spec.replicas]), [["controller,broker", 1]]);
});

Deno.test("helm: the committed chart is exactly what `deno task synth --chart` generates", async () => {
  for (const [path, text] of chartFiles(example)) {
    const committed = await Deno.readTextFile(new URL(path, CHART)).catch(() => "(missing)");
    assert.equal(committed, text, `charts/kafka-edge/${path} is stale: run deno task synth --chart`);
  }
});
