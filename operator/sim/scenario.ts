/**
 * Everything one report run compares: the spec our operator gets, the KEDA configurations, the physics.
 *
 * @module
 */

import type { ConsumerAutoscalerSpec } from "../core/types.ts";
import { DEFAULT_PHYSICS, type GroupPhysics } from "./group.ts";
import { type KedaConfig, kedaDefaults } from "./keda.ts";

/** The ConsumerAutoscaler the simulated operator runs with: defaults except the replica bounds. */
export const SIM_SPEC: ConsumerAutoscalerSpec = {
  scaleTargetRef: { kind: "Deployment", name: "worker" },
  kafka: { bootstrapServers: "sim:9092" },
  groupId: "workers",
  topics: ["events"],
  minReplicas: 1,
  maxReplicas: 30,
};

/** Two common lagThreshold choices: ten seconds and one second of one replica's work. */
export const KEDA_CONFIGS: readonly KedaConfig[] = [
  kedaDefaults(1000, SIM_SPEC.minReplicas, SIM_SPEC.maxReplicas),
  kedaDefaults(100, SIM_SPEC.minReplicas, SIM_SPEC.maxReplicas),
];

export const SIM_PHYSICS: GroupPhysics = DEFAULT_PHYSICS;
