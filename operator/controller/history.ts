/**
 * Recent lag samples per autoscaler, the input of the observation (rates and time lag need history).
 * Bounded in time and count; reset when what is measured changes (other group, topics or cluster),
 * because offsets of another group or cluster make rates meaningless.
 *
 * @module
 */
import type { ConsumerAutoscalerSpec, LagObservation, LagSample } from "../core/types.ts";

/** Options for {@link createSampleHistory}. */
export interface HistoryOptions {
  /** Samples older than this are dropped (default 15 min: time lag interpolates over it). */
  readonly windowMs?: number;
  /** At most this many samples per autoscaler (default 1 000). */
  readonly maxSamples?: number;
}

/** Per-key sample history. */
export interface SampleHistory {
  /** Appends `sample` and returns the key's samples, oldest first. */
  append(key: string, spec: ConsumerAutoscalerSpec, sample: LagSample): readonly LagSample[];
  samples(key: string): readonly LagSample[];
  /** The observation derived at the previous poll (the rate learner compares two), if any. */
  previousObservation(key: string): LagObservation | undefined;
  recordObservation(key: string, observation: LagObservation): void;
  delete(key: string): void;
}

/** What identifies the measured offsets; a change invalidates the history. */
export function measuredIdentity(spec: ConsumerAutoscalerSpec): string {
  return JSON.stringify([spec.kafka.bootstrapServers, spec.groupId, [...spec.topics].sort()]);
}

/** Creates a {@link SampleHistory}. */
export function createSampleHistory(options: HistoryOptions = {}): SampleHistory {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxSamples = options.maxSamples ?? 1_000;
  const entries = new Map<string, { identity: string; samples: LagSample[]; observation?: LagObservation }>();
  return {
    append(key, spec, sample) {
      const identity = measuredIdentity(spec);
      let entry = entries.get(key);
      if (!entry || entry.identity !== identity) {
        entry = { identity, samples: [] };
        entries.set(key, entry);
      }
      const last = entry.samples.at(-1);
      // A clock step backwards would give negative rates; start over rather than feed them to the core.
      if (last && sample.at <= last.at) entry.samples.length = 0;
      entry.samples.push(sample);
      const cutoff = sample.at - windowMs;
      const firstKept = entry.samples.findIndex((s) => s.at >= cutoff);
      if (firstKept > 0) entry.samples.splice(0, firstKept);
      if (entry.samples.length > maxSamples) entry.samples.splice(0, entry.samples.length - maxSamples);
      return entry.samples;
    },
    samples: (key) => entries.get(key)?.samples ?? [],
    previousObservation: (key) => entries.get(key)?.observation,
    recordObservation(key, observation) {
      const entry = entries.get(key);
      if (entry) entry.observation = observation;
    },
    delete: (key) => void entries.delete(key),
  };
}
