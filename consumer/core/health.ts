/**
 * Liveness and readiness of a worker, derived from consumer events and a clock. Pure, so the staleness
 * rules are tested with a fake clock.
 *
 * Live: the consume loop showed a sign of life (fetch, heartbeat, batch) within `staleAfterMs` and kafkajs
 * has not crashed for good. A restart then replaces a wedged worker. Ready: joined the group, holds at least
 * one partition, and is not shutting down.
 *
 * @module
 */

/** A probe answer. */
export interface ProbeStatus {
  readonly ok: boolean;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The mutable health state of one worker. */
export interface Health {
  /** Any sign the consume loop is turning. */
  alive(): void;
  joined(assignedPartitions: number): void;
  rebalancing(): void;
  /** kafkajs gave up (a crash it will not restart from) or the consumer stopped. */
  failed(reason: string): void;
  stopping(): void;
  live(): ProbeStatus;
  ready(): ProbeStatus;
}

/** Creates the state; the worker counts as alive from creation until `staleAfterMs` passes without news. */
export function createHealth(now: () => number, staleAfterMs: number): Health {
  let lastAlive = now();
  let member = false;
  let assigned = 0;
  let failure: string | undefined;
  let draining = false;
  const live = (): ProbeStatus => {
    const sinceMs = now() - lastAlive;
    const ok = failure === undefined && sinceMs <= staleAfterMs;
    return { ok, detail: { lastActivityMsAgo: sinceMs, staleAfterMs, ...(failure ? { failure } : {}) } };
  };
  return {
    alive() {
      lastAlive = now();
    },
    joined(partitions) {
      lastAlive = now();
      member = true;
      assigned = partitions;
    },
    rebalancing() {
      member = false;
    },
    failed(reason) {
      failure = reason;
      member = false;
    },
    stopping() {
      draining = true;
    },
    live,
    ready() {
      const l = live();
      const ok = l.ok && member && assigned > 0 && !draining;
      return { ok, detail: { joined: member, assignedPartitions: assigned, stopping: draining, live: l.ok } };
    },
  };
}
