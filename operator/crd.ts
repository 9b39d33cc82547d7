/**
 * The ConsumerAutoscaler CustomResourceDefinition, defined once: the manifest object below is what the
 * API server gets (tests apply it, the k8s/ manifests package can import it), and {@link parseAutoscaler}
 * walks the very same schema and CEL rules' TypeScript twins, so the controller rejects exactly what the
 * API server would have rejected (objects stored before a schema change, or applied with validation off)
 * with a readable status condition instead of a crash.
 *
 * Run `deno run operator/crd.ts` to print the manifest as JSON (`| kubectl apply -f -`).
 *
 * @module
 */
import type { ConsumerAutoscalerSpec } from "./core/types.ts";

/** API group of the autoscaler. */
export const GROUP = "autoscaling.kafka-edge.dev";
/** Served and stored version. */
export const VERSION = "v1alpha1";
/** Resource (plural) name used in API paths. */
export const PLURAL = "consumerautoscalers";
/** Kind of the custom resource. */
export const KIND = "ConsumerAutoscaler";
/** `apiVersion` of the custom resources. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The subset of OpenAPI v3 (as Kubernetes structural schemas spell it) this file uses. */
export interface SchemaProps {
  readonly type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaProps>>;
  readonly required?: readonly string[];
  readonly items?: SchemaProps;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  readonly "x-kubernetes-list-map-keys"?: readonly string[];
  readonly "x-kubernetes-preserve-unknown-fields"?: boolean;
  readonly "x-kubernetes-validations"?: readonly { readonly rule: string; readonly message: string }[];
}

/** A CEL rule on `spec` together with the same check in TypeScript for {@link parseAutoscaler}. */
interface SpecRule {
  readonly rule: string;
  readonly message: string;
  readonly check: (spec: ConsumerAutoscalerSpec) => boolean;
}

const SPEC_RULES: readonly SpecRule[] = [
  {
    rule: "self.minReplicas <= self.maxReplicas",
    message: "minReplicas must be less than or equal to maxReplicas",
    check: (s) => s.minReplicas <= s.maxReplicas,
  },
  {
    rule: "self.minReplicas > 0 || (has(self.scaleToZero) && self.scaleToZero.enabled)",
    message: "minReplicas may be 0 only with scaleToZero.enabled",
    check: (s) => s.minReplicas > 0 || s.scaleToZero?.enabled === true,
  },
];

const secretKeyRef: SchemaProps = {
  type: "object",
  description: "A key of a Secret in the autoscaler's namespace.",
  required: ["name", "key"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 253 },
    key: { type: "string", minLength: 1, maxLength: 253 },
  },
};

const seconds = (description: string, minimum: number): SchemaProps => ({
  type: "integer",
  minimum,
  maximum: 86_400,
  description,
});

const specSchema: SchemaProps = {
  type: "object",
  required: ["scaleTargetRef", "kafka", "groupId", "topics", "minReplicas", "maxReplicas"],
  "x-kubernetes-validations": SPEC_RULES.map(({ rule, message }) => ({ rule, message })),
  properties: {
    scaleTargetRef: {
      type: "object",
      description: "The Deployment whose scale subresource the operator writes.",
      required: ["kind", "name"],
      properties: {
        apiVersion: { type: "string", enum: ["apps/v1"] },
        kind: { type: "string", enum: ["Deployment"] },
        name: { type: "string", minLength: 1, maxLength: 253 },
      },
    },
    kafka: {
      type: "object",
      description: "How the operator reaches Kafka; secrets are referenced, never inlined.",
      required: ["bootstrapServers"],
      properties: {
        bootstrapServers: {
          type: "string",
          description: "host:port[,host:port]",
          pattern: "^[^,\\s]+:[0-9]{1,5}(,[^,\\s]+:[0-9]{1,5})*$",
        },
        tls: {
          type: "object",
          required: ["enabled"],
          properties: { enabled: { type: "boolean" }, caSecretRef: secretKeyRef },
        },
        sasl: {
          type: "object",
          required: ["mechanism", "usernameSecretRef", "passwordSecretRef"],
          properties: {
            mechanism: { type: "string", enum: ["plain", "scram-sha-256", "scram-sha-512"] },
            usernameSecretRef: secretKeyRef,
            passwordSecretRef: secretKeyRef,
          },
        },
      },
    },
    groupId: { type: "string", minLength: 1, maxLength: 249 },
    topics: {
      type: "array",
      minItems: 1,
      maxItems: 100,
      "x-kubernetes-list-type": "set",
      items: { type: "string", minLength: 1, maxLength: 249, pattern: "^[a-zA-Z0-9._-]+$" },
    },
    minReplicas: { type: "integer", minimum: 0, maximum: 10_000 },
    maxReplicas: { type: "integer", minimum: 1, maximum: 10_000 },
    lagPerReplica: { type: "integer", minimum: 1, description: "Backlog (events) one replica may have." },
    maxLagSeconds: seconds("Age (s) the oldest unconsumed event may reach.", 1),
    targetDrainSeconds: seconds("Drain a backlog within this many seconds (default 60).", 1),
    perReplicaRate: {
      type: "number",
      minimum: 0,
      exclusiveMinimum: true,
      description: "Events/s one replica processes, until measured.",
    },
    scaleDownStabilizationSeconds: seconds("Scale down only after the lower need held this long.", 0),
    minHoldSeconds: seconds("Minimum time between two scale writes (each one is a rebalance).", 0),
    scaleToZero: {
      type: "object",
      required: ["enabled"],
      properties: { enabled: { type: "boolean" }, activationLag: { type: "integer", minimum: 1 } },
    },
    pollIntervalSeconds: { type: "integer", minimum: 1, maximum: 300, description: "Lag sampling period." },
  },
};

const condition: SchemaProps = {
  type: "object",
  required: ["type", "status"],
  properties: {
    type: { type: "string" },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    reason: { type: "string" },
    message: { type: "string" },
    lastTransitionTime: { type: "string", format: "date-time" },
    observedGeneration: { type: "integer" },
  },
};

const statusSchema: SchemaProps = {
  type: "object",
  properties: {
    observedGeneration: { type: "integer" },
    conditions: {
      type: "array",
      items: condition,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    },
    currentReplicas: { type: "integer" },
    desiredReplicas: { type: "integer" },
    neededReplicas: { type: "integer" },
    limitedBy: { type: "string" },
    lastScaleTime: { type: "string", format: "date-time" },
    lastSampleTime: { type: "string", format: "date-time" },
    observed: {
      type: "object",
      properties: {
        partitionCount: { type: "integer" },
        totalLag: { type: "integer" },
        maxPartitionLag: { type: "integer" },
        partitionsWithLag: { type: "integer" },
        arrivalRate: { type: "number" },
        processingRate: { type: "number" },
        timeLagSeconds: { type: "number" },
        stalledPartitions: { type: "integer" },
        perReplicaRate: { type: "number" },
      },
    },
    decisionState: {
      type: "object",
      description: "What the decision function remembers, so an operator restart continues it.",
      "x-kubernetes-preserve-unknown-fields": true,
    },
  },
};

/** A CustomResourceDefinition manifest as the API server (and cdk8s `ApiObject`) takes it. */
export interface CrdManifest {
  readonly apiVersion: "apiextensions.k8s.io/v1";
  readonly kind: "CustomResourceDefinition";
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly group: string;
    readonly scope: "Namespaced";
    readonly names: {
      readonly plural: string;
      readonly singular: string;
      readonly kind: string;
      readonly listKind: string;
      readonly shortNames: readonly string[];
      readonly categories: readonly string[];
    };
    readonly versions: readonly {
      readonly name: string;
      readonly served: boolean;
      readonly storage: boolean;
      readonly subresources: { readonly status: Record<string, never> };
      readonly additionalPrinterColumns: readonly {
        readonly name: string;
        readonly type: string;
        readonly jsonPath: string;
        readonly description?: string;
      }[];
      readonly schema: { readonly openAPIV3Schema: SchemaProps };
    }[];
  };
}

/** The ConsumerAutoscaler CRD. */
export const consumerAutoscalerCrd: CrdManifest = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${PLURAL}.${GROUP}`, labels: { "app.kubernetes.io/part-of": "kafka-edge" } },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: {
      plural: PLURAL,
      singular: "consumerautoscaler",
      kind: KIND,
      listKind: `${KIND}List`,
      shortNames: ["cas"],
      categories: ["kafka-edge"],
    },
    versions: [{
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: "Target", type: "string", jsonPath: ".spec.scaleTargetRef.name" },
        { name: "Lag", type: "integer", jsonPath: ".status.observed.totalLag", description: "events" },
        { name: "Time lag", type: "number", jsonPath: ".status.observed.timeLagSeconds", description: "s" },
        { name: "Replicas", type: "integer", jsonPath: ".status.currentReplicas" },
        { name: "Desired", type: "integer", jsonPath: ".status.desiredReplicas" },
        { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ],
      schema: {
        openAPIV3Schema: {
          type: "object",
          description: "Scales a Deployment of Kafka consumers on the consumer group's lag.",
          required: ["spec"],
          properties: {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            spec: specSchema,
            status: statusSchema,
          },
        },
      },
    }],
  },
};

/** Outcome of {@link parseAutoscaler}. */
export type ParsedSpec =
  | { readonly ok: true; readonly spec: ConsumerAutoscalerSpec }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Checks a CR's `spec` against the CRD schema and its rules; every problem is listed, each prefixed with
 * its field path (`spec.maxReplicas: must be >= 1`), like the API server's own messages.
 */
export function parseAutoscaler(spec: unknown): ParsedSpec {
  const problems: string[] = [];
  validate(specSchema, spec, "spec", problems);
  if (problems.length > 0) return { ok: false, problems };
  const typed = spec as ConsumerAutoscalerSpec;
  for (const r of SPEC_RULES) if (!r.check(typed)) problems.push(`spec: ${r.message}`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec: typed };
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function validate(schema: SchemaProps, value: unknown, path: string, problems: string[]): void {
  const actual = typeOf(value);
  const fits = schema.type === undefined || actual === schema.type ||
    (schema.type === "number" && actual === "integer");
  if (!fits) {
    problems.push(`${path}: must be of type ${schema.type}; got ${actual}`);
    return;
  }
  if (typeof value === "string") validateString(schema, value, path, problems);
  if (typeof value === "number") validateNumber(schema, value, path, problems);
  if (Array.isArray(value)) validateArray(schema, value, path, problems);
  if (actual === "object") validateObject(schema, value as Record<string, unknown>, path, problems);
}

function validateString(schema: SchemaProps, value: string, path: string, problems: string[]): void {
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push(`${path}: must be one of ${schema.enum.join(", ")}; got ${JSON.stringify(value)}`);
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    problems.push(`${path}: must be at least ${schema.minLength} characters`);
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    problems.push(`${path}: must be at most ${schema.maxLength} characters`);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    problems.push(`${path}: must match ${schema.pattern}; got ${JSON.stringify(value)}`);
  }
}

function validateNumber(schema: SchemaProps, value: number, path: string, problems: string[]): void {
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      problems.push(
        `${path}: must be ${schema.exclusiveMinimum ? ">" : ">="} ${schema.minimum}; got ${value}`,
      );
    }
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    problems.push(`${path}: must be <= ${schema.maximum}; got ${value}`);
  }
}

function validateArray(
  schema: SchemaProps,
  value: readonly unknown[],
  path: string,
  problems: string[],
): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    problems.push(`${path}: must have at least ${schema.minItems} items`);
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    problems.push(`${path}: must have at most ${schema.maxItems} items`);
  }
  if (
    schema["x-kubernetes-list-type"] === "set" &&
    new Set(value.map((v) => JSON.stringify(v))).size < value.length
  ) {
    problems.push(`${path}: must not contain duplicates`);
  }
  if (schema.items) value.forEach((item, i) => validate(schema.items!, item, `${path}[${i}]`, problems));
}

function validateObject(
  schema: SchemaProps,
  value: Readonly<Record<string, unknown>>,
  path: string,
  problems: string[],
): void {
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) problems.push(`${path}.${name}: Required value`);
  }
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (value[name] !== undefined) validate(sub, value[name], `${path}.${name}`, problems);
  }
}

if (import.meta.main) console.log(JSON.stringify(consumerAutoscalerCrd, null, 2));
