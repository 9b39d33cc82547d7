/**
 * A KEDA-equivalent autoscaler: KEDA's Kafka scaler feeding the Kubernetes HPA, modelled from the sources.
 *
 * KEDA (kedacore/keda pkg/scalers/kafka_scaler.go, getTotalLag / getLagForPartition):
 * - metric = Σ over partitions of (latest offset − committed offset); the HPA target is `lagThreshold` as an
 *   AverageValue, so the HPA wants ceil(totalLag / lagThreshold) pods;
 * - with allowIdleConsumers=false (default) it caps the metric so as not to scale beyond the partitions:
 *   `if totalLag / lagThreshold > partitions { totalLag = partitions · lagThreshold }` with Go INTEGER
 *   division, so a total lag of partitions·threshold + r (0 < r < threshold) passes uncapped and the HPA asks
 *   for partitions + 1 pods (one idle consumer). Modelled as written.
 * - by default (useCachedMetrics=false) the metric is read from Kafka on every HPA request; `pollingInterval`
 *   (30 s) drives only activation between 0 and 1 replica, which these traces (minReplicas 1) do not use.
 *
 * HPA (kubernetes pkg/controller/podautoscaler, GetExternalPerPodMetricReplicas and the behaviour code):
 * - sync every 15 s; usageRatio = metric / (target · currentReplicas); within 10 % tolerance of 1 → no change,
 *   else ceil(metric / target);
 * - scale-up stabilisation 0 s; default scale-up policies 4 pods or 100 % per 15 s, whichever is more
 *   (selectPolicy Max), counted from the replicas at the start of the 15 s period;
 * - scale-down stabilisation 300 s (the highest recommendation of the last 5 minutes), then 100 % per 15 s;
 * - a failed metric read changes nothing.
 *
 * @module
 */

import type { LagSample } from "../core/types.ts";
import type { Policy, PolicyView } from "./policy.ts";

/** The ScaledObject / HPA knobs the model uses. */
export interface KedaConfig {
  readonly lagThreshold: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly syncPeriodSeconds: number;
  readonly tolerance: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly scaleUpPods: number;
  readonly scaleUpPercent: number;
  readonly scaleUpPeriodSeconds: number;
}

/** KEDA and HPA defaults; `lagThreshold` and the replica bounds come from the scenario. */
export function kedaDefaults(lagThreshold: number, minReplicas: number, maxReplicas: number): KedaConfig {
  return {
    lagThreshold,
    minReplicas,
    maxReplicas,
    syncPeriodSeconds: 15,
    tolerance: 0.1,
    scaleDownStabilizationSeconds: 300,
    scaleUpPods: 4,
    scaleUpPercent: 100,
    scaleUpPeriodSeconds: 15,
  };
}

/** The value KEDA's Kafka scaler reports for one read (allowIdleConsumers=false). */
export function kedaMetric(sample: LagSample, lagThreshold: number): number {
  let totalLag = 0;
  for (const p of sample.partitions) {
    // A partition without a commit counts 1 with offsetResetPolicy=latest (the default).
    totalLag += p.committedOffset === null ? 1 : Number(p.logEndOffset - p.committedOffset);
  }
  const partitions = sample.partitions.length;
  // Go integer division, as in the scaler: the remainder escapes the cap.
  if (Math.floor(totalLag / lagThreshold) > partitions) totalLag = partitions * lagThreshold;
  return totalLag;
}

/** The HPA's proposal for an AverageValue external metric. */
export function hpaProposal(metric: number, current: number, config: KedaConfig): number {
  const ratio = metric / (config.lagThreshold * current);
  if (Math.abs(1 - ratio) <= config.tolerance) return current;
  return Math.ceil(metric / config.lagThreshold);
}

/** KEDA + HPA as one policy. */
export function kedaPolicy(config: KedaConfig, name = `keda(lag=${config.lagThreshold})`): Policy {
  const recommendations: Array<{ at: number; replicas: number }> = [];
  const scaleUps: Array<{ at: number; added: number }> = [];
  return {
    name,
    step(view: PolicyView): number | undefined {
      if (view.now % config.syncPeriodSeconds !== 0 || view.replicas === 0) return undefined;
      const sample = view.read();
      if (sample === undefined) return undefined;
      const current = view.replicas;
      const proposal = hpaProposal(kedaMetric(sample, config.lagThreshold), current, config);
      const downCutoff = view.now - config.scaleDownStabilizationSeconds;
      while (recommendations.length > 0 && recommendations[0].at <= downCutoff) recommendations.shift();
      const downRecommendation = Math.max(proposal, ...recommendations.map((r) => r.replicas));
      recommendations.push({ at: view.now, replicas: proposal });
      let desired = current;
      if (desired < proposal) desired = proposal; // scale-up stabilisation window is 0 s
      if (desired > downRecommendation) desired = downRecommendation;
      if (desired > current) {
        const periodCutoff = view.now - config.scaleUpPeriodSeconds;
        const added = scaleUps.filter((e) => e.at > periodCutoff).reduce((sum, e) => sum + e.added, 0);
        const periodStart = current - added;
        const limit = Math.max(
          periodStart + config.scaleUpPods,
          Math.ceil(periodStart * (1 + config.scaleUpPercent / 100)),
        );
        desired = Math.min(desired, limit, config.maxReplicas);
      }
      desired = Math.max(config.minReplicas, Math.min(config.maxReplicas, desired));
      if (desired === current) return undefined;
      if (desired > current) scaleUps.push({ at: view.now, added: desired - current });
      return desired;
    },
  };
}
