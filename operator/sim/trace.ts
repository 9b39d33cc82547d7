/**
 * The load the simulated group sees: arrivals over time, how they spread over partitions, and any backlog
 * already waiting at t = 0. Deterministic: the one noisy trace draws its noise from a seeded generator.
 *
 * @module
 */

/** One scenario. */
export interface Trace {
  readonly name: string;
  readonly title: string;
  readonly durationSeconds: number;
  readonly partitions: number;
  readonly initialReplicas: number;
  /** Total events/s produced during second `t`. */
  readonly arrival: (t: number) => number;
  /** Share of the arrivals per partition; sums to 1. */
  readonly weights: readonly number[];
  /** Lag per partition at t = 0. */
  readonly preload: readonly number[];
  /** When the disturbance starts; reaction times count from here. */
  readonly onsetSeconds: number;
  /** Period of a periodic load (reversal goal), if any. */
  readonly periodSeconds?: number;
  /** Whether the trace has a backlog to drain (drain and one-write goals apply). */
  readonly drains: boolean;
  /**
   * Per-second noise on the arrivals, if any. The oracle follows every noisy second with a free rescale, so
   * its replica-seconds are no yardstick there and that goal is not applied.
   */
  readonly noise?: { readonly sigma: number; readonly seed: number };
}

const PARTITIONS = 24;

function uniform(partitions: number): number[] {
  return Array.from({ length: partitions }, () => 1 / partitions);
}

function zeros(partitions: number): number[] {
  return Array.from({ length: partitions }, () => 0);
}

/** Arrivals jump ×5 (200 → 1000 ev/s) at t = 62 s, between two polls. */
export function stepTrace(): Trace {
  return {
    name: "step-x5",
    title: "step ×5: 200 → 1000 ev/s at t=62 s",
    durationSeconds: 900,
    partitions: PARTITIONS,
    initialReplicas: 2,
    arrival: (t) => (t < 62 ? 200 : 1000),
    weights: uniform(PARTITIONS),
    preload: zeros(PARTITIONS),
    onsetSeconds: 62,
    drains: true,
  };
}

/** 60 000 events waiting, spread evenly, with a steady 300 ev/s on top (a consumer outage just ended). */
export function preloadedTrace(): Trace {
  return {
    name: "preloaded",
    title: "preloaded backlog: 60 000 events, then 300 ev/s",
    durationSeconds: 600,
    partitions: PARTITIONS,
    initialReplicas: 3,
    arrival: () => 300,
    weights: uniform(PARTITIONS),
    preload: Array.from({ length: PARTITIONS }, () => 60_000 / PARTITIONS),
    onsetSeconds: 0,
    drains: true,
  };
}

/** 1000 ± 600 ev/s with a 600 s period, three periods. */
export function sinusoidTrace(): Trace {
  return {
    name: "sinusoid",
    title: "sinusoid: 1000 ± 600 ev/s, period 600 s",
    durationSeconds: 1800,
    partitions: PARTITIONS,
    initialReplicas: 10,
    arrival: (t) => 1000 + 600 * Math.sin((2 * Math.PI * t) / 600),
    weights: uniform(PARTITIONS),
    preload: zeros(PARTITIONS),
    onsetSeconds: 0,
    periodSeconds: 600,
    drains: false,
  };
}

/** mulberry32: a small seeded generator, so the noisy trace is the same on every run and machine. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` independent standard normal draws (Box–Muller). */
function normals(count: number, seed: number): number[] {
  const uniform = seeded(seed);
  return Array.from({ length: count }, () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  });
}

/**
 * The sinusoid with every second's arrivals off by an independent ±15 % (σ): bursty producers. A rule that
 * reads a trend into noise would flap here.
 */
export function noisySinusoidTrace(sigma = 0.15, seed = 1): Trace {
  const base = sinusoidTrace();
  const noise = normals(base.durationSeconds, seed);
  return {
    ...base,
    name: "noisy-sinusoid",
    title: `noisy sinusoid: 1000 ± 600 ev/s, period 600 s, ±${
      Math.round(sigma * 100)
    } % per second (seed ${seed})`,
    arrival: (t) => Math.max(0, base.arrival(t) * (1 + sigma * (noise[t] ?? 0))),
    noise: { sigma, seed },
  };
}

/** 30 000 events waiting in partition 0 only, 300 ev/s spread evenly (one key's replay, say). */
export function hotPartitionTrace(): Trace {
  return {
    name: "hot-partition",
    title: "one hot partition: 30 000 events in partition 0, 300 ev/s",
    durationSeconds: 900,
    partitions: PARTITIONS,
    initialReplicas: 3,
    arrival: () => 300,
    weights: uniform(PARTITIONS),
    preload: [30_000, ...zeros(PARTITIONS - 1)],
    onsetSeconds: 0,
    drains: true,
  };
}

/** The scenarios of the report, in order. */
export function allTraces(): Trace[] {
  return [stepTrace(), preloadedTrace(), sinusoidTrace(), noisySinusoidTrace(), hotPartitionTrace()];
}
