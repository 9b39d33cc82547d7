/**
 * The lag operator package: the shared vocabulary and the ConsumerAutoscaler CRD (one source for the
 * API server, the controller's validation and the k8s/ manifests).
 *
 * @module
 */
export * from "./core/types.ts";
export * from "./crd.ts";
export type { AutoscalerStatus, Condition, ConditionType, ObservedStatus } from "./controller/status.ts";
