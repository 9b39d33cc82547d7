/**
 * Our operator in the simulator: the very decide() and lag.ts the runtime uses, polled every
 * `pollIntervalSeconds`, fed by simulated offsets.
 *
 * @module
 */

import { decide } from "../core/decide.ts";
import { appendSample, observeLag } from "../core/lag.ts";
import { updatePerReplicaRate } from "../core/rate.ts";
import { resolveSettings } from "../core/settings.ts";
import type {
  ConsumerAutoscalerSpec,
  Decision,
  DecisionState,
  LagObservation,
  LagSample,
} from "../core/types.ts";
import type { Policy, PolicyView } from "./policy.ts";

/** How long offset history is kept: long enough to interpolate time lags of a few minutes. */
const HISTORY_SECONDS = 600;

/** One decision as the simulator saw it, for tests and debugging. */
export interface DecisionRecord {
  readonly at: number;
  readonly readFailed: boolean;
  readonly decision: Decision;
}

/** Our policy; `log` receives every decision when given. */
export function oursPolicy(spec: ConsumerAutoscalerSpec, log?: DecisionRecord[]): Policy {
  const settings = resolveSettings(spec);
  let history: LagSample[] = [];
  let state: DecisionState | undefined;
  let previous: LagObservation | undefined;
  return {
    name: "ours",
    step(view: PolicyView): number | undefined {
      if (view.now % settings.pollIntervalSeconds !== 0) return undefined;
      const sample = view.read();
      if (sample) history = appendSample(history, sample, HISTORY_SECONDS);
      const observation = sample ? observeLag(history) : undefined;
      const now = view.now * 1000;
      // The runtime refreshes currentReplicas from the Deployment's scale before every decision.
      const base: DecisionState = { ...(state ?? { recommendations: [] }), currentReplicas: view.replicas };
      const input = updatePerReplicaRate(base, observation, previous, now, settings.perReplicaRate);
      previous = observation;
      const decision = decide({ now, spec, observation, state: input });
      state = decision.state;
      log?.push({ at: view.now, readFailed: sample === undefined, decision });
      return decision.desired !== view.replicas ? decision.desired : undefined;
    },
  };
}
