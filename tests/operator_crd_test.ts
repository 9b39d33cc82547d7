/**
 * The ConsumerAutoscaler CRD and the controller's validation of each CR: the manifest is structural and
 * carries its rules, and parseAutoscaler enforces the same schema and rules with field-path messages.
 * (That the API server accepts the manifest and rejects the same specs is covered in operator_e2e_test.)
 */
import assert from "node:assert/strict";
import { consumerAutoscalerCrd, parseAutoscaler, type SchemaProps } from "../operator/crd.ts";

const valid = {
  scaleTargetRef: { kind: "Deployment", name: "worker" },
  kafka: { bootstrapServers: "kafka-0:9092,kafka-1:9092" },
  groupId: "orders",
  topics: ["orders"],
  minReplicas: 1,
  maxReplicas: 12,
};

function problems(spec: unknown): string[] {
  const parsed = parseAutoscaler(spec);
  return parsed.ok ? [] : [...parsed.problems];
}

Deno.test("crd: a minimal valid spec parses and keeps its values", () => {
  const parsed = parseAutoscaler(valid);
  assert.ok(parsed.ok);
  assert.equal(parsed.spec.maxReplicas, 12);
});

Deno.test("crd: every missing required field is reported at once, with its path", () => {
  assert.deepEqual(problems({}), [
    "spec.scaleTargetRef: Required value",
    "spec.kafka: Required value",
    "spec.groupId: Required value",
    "spec.topics: Required value",
    "spec.minReplicas: Required value",
    "spec.maxReplicas: Required value",
  ]);
  assert.deepEqual(problems(undefined), ["spec: must be of type object; got undefined"]);
});

Deno.test("crd: minimums, enums, types and patterns are enforced", () => {
  const out = problems({
    ...valid,
    scaleTargetRef: { kind: "StatefulSet", name: "" },
    kafka: { bootstrapServers: "no-port", sasl: { mechanism: "gssapi" } },
    topics: [],
    maxReplicas: 0,
    perReplicaRate: 0,
    pollIntervalSeconds: 1.5,
  });
  for (
    const expected of [
      /spec\.scaleTargetRef\.kind: must be one of Deployment/,
      /spec\.scaleTargetRef\.name: must be at least 1 characters/,
      /spec\.kafka\.bootstrapServers: must match/,
      /spec\.kafka\.sasl\.mechanism: must be one of plain, scram-sha-256, scram-sha-512/,
      /spec\.kafka\.sasl\.usernameSecretRef: Required value/,
      /spec\.topics: must have at least 1 items/,
      /spec\.maxReplicas: must be >= 1; got 0/,
      /spec\.perReplicaRate: must be > 0; got 0/,
      /spec\.pollIntervalSeconds: must be of type integer; got number/,
    ]
  ) {
    assert.ok(out.some((p) => expected.test(p)), `${expected} in ${JSON.stringify(out, null, 1)}`);
  }
});

Deno.test("crd: the CEL rules' twins reject min > max and minReplicas 0 without scale-to-zero", () => {
  assert.deepEqual(problems({ ...valid, minReplicas: 5, maxReplicas: 2 }), [
    "spec: minReplicas must be less than or equal to maxReplicas",
  ]);
  assert.deepEqual(problems({ ...valid, minReplicas: 0 }), [
    "spec: minReplicas may be 0 only with scaleToZero.enabled",
  ]);
  assert.deepEqual(
    problems({ ...valid, minReplicas: 0, scaleToZero: { enabled: true, activationLag: 10 } }),
    [],
  );
});

Deno.test("crd: duplicate topics are rejected like a list-type set", () => {
  assert.deepEqual(problems({ ...valid, topics: ["a", "a"] }), ["spec.topics: must not contain duplicates"]);
});

Deno.test("crd: the manifest has the status subresource, printer columns and the rules in the schema", () => {
  const [version] = consumerAutoscalerCrd.spec.versions;
  assert.equal(consumerAutoscalerCrd.metadata.name, "consumerautoscalers.autoscaling.kafka-edge.dev");
  assert.equal(version.name, "v1alpha1");
  assert.deepEqual(version.subresources, { status: {} });
  assert.deepEqual(version.additionalPrinterColumns.map((c) => c.name), [
    "Target",
    "Lag",
    "Time lag",
    "Replicas",
    "Desired",
    "Ready",
    "Age",
  ]);
  const spec = version.schema.openAPIV3Schema.properties!.spec;
  assert.deepEqual(spec["x-kubernetes-validations"]?.map((v) => v.rule), [
    "self.minReplicas <= self.maxReplicas",
    "self.minReplicas > 0 || (has(self.scaleToZero) && self.scaleToZero.enabled)",
  ]);
});

Deno.test("crd: the schema is structural: every node has a type, except preserve-unknown-fields leaves", () => {
  function walk(node: SchemaProps, path: string): void {
    assert.ok(node.type !== undefined, `${path} has a type`);
    for (const [name, sub] of Object.entries(node.properties ?? {})) walk(sub, `${path}.${name}`);
    if (node.items) walk(node.items, `${path}[]`);
  }
  walk(consumerAutoscalerCrd.spec.versions[0].schema.openAPIV3Schema, "");
});
