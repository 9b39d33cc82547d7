/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: only the holder reconciles and
 * writes; it renews every `retryMs` and steps down by itself when it could not renew for `renewDeadlineMs`
 * (< lease duration), so it has stopped before a standby may take over. A standby takes over when the
 * lease was released or has not changed for a whole lease duration, measured on the standby's own clock
 * from when it last saw the record change (so clock skew between nodes does not matter). Writes use the
 * Lease's resourceVersion, so two candidates can never both win the same round.
 *
 * @module
 */
import type { Logger } from "@kafka-edge/lib";

/** The Lease as far as election needs it. */
export interface LeaseRecord {
  readonly holder: string;
  readonly durationSeconds: number;
  readonly acquireTime?: number;
  readonly renewTime?: number;
  readonly transitions: number;
  /** Undefined for a record to be created. */
  readonly resourceVersion?: string;
}

/** Lease storage; `create` and `update` resolve false when another writer got there first (409). */
export interface LeasePort {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<boolean>;
  update(record: LeaseRecord): Promise<boolean>;
}

/** Options for {@link createLeaderElector}. */
export interface ElectorOptions {
  readonly identity: string;
  readonly leaseDurationMs: number;
  /** Default: 2/3 of the lease duration. */
  readonly renewDeadlineMs?: number;
  /** Default: 1/5 of the lease duration. */
  readonly retryMs?: number;
  readonly log: Logger;
  readonly now?: () => number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
}

/** A running election. */
export interface LeaderElector {
  isLeader(): boolean;
  /** One election round (exposed for tests); the loop started by {@link LeaderElector.start} calls it. */
  tick(): Promise<void>;
  start(): void;
  /** Stops the loop and, if leading, releases the lease so a standby takes over at once. */
  stop(): Promise<void>;
}

/** Creates an elector; call start() to run it. */
export function createLeaderElector(port: LeasePort, options: ElectorOptions): LeaderElector {
  const now = options.now ?? Date.now;
  const { identity, leaseDurationMs, log } = options;
  const renewDeadlineMs = options.renewDeadlineMs ?? Math.floor(leaseDurationMs * 2 / 3);
  const retryMs = options.retryMs ?? Math.max(200, Math.floor(leaseDurationMs / 5));
  const durationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
  let leading = false;
  let lastRenew = 0;
  let observed: { key: string; at: number } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let ticking: Promise<void> = Promise.resolve();

  function setLeading(value: boolean, why: string): void {
    if (value === leading) return;
    leading = value;
    log.info(value ? "became leader" : "stopped leading", { identity, why });
    (value ? options.onStartedLeading : options.onStoppedLeading)?.();
  }

  async function round(): Promise<void> {
    const t = now();
    let current: LeaseRecord | undefined;
    try {
      current = await port.get();
    } catch (err) {
      log.warn("cannot read lease", { err });
      if (leading && t - lastRenew > renewDeadlineMs) setLeading(false, "renew deadline passed");
      return;
    }
    if (current) {
      const key = `${current.holder}|${current.renewTime}|${current.resourceVersion}`;
      if (observed?.key !== key) observed = { key, at: t };
    }
    const mine = current?.holder === identity;
    const free = !current || current.holder === "" ||
      t - (observed?.at ?? t) > current.durationSeconds * 1000;
    if (!mine && !free) {
      setLeading(false, `lease held by ${current!.holder}`);
      return;
    }
    const record: LeaseRecord = {
      holder: identity,
      durationSeconds,
      acquireTime: mine ? current!.acquireTime : t,
      renewTime: t,
      transitions: (current?.transitions ?? 0) + (mine ? 0 : 1),
      resourceVersion: current?.resourceVersion,
    };
    let ok = false;
    try {
      ok = current ? await port.update(record) : await port.create(record);
    } catch (err) {
      log.warn("cannot write lease", { err });
    }
    if (ok) {
      lastRenew = t;
      setLeading(true, mine ? "renewed" : "acquired");
    } else if (leading && t - lastRenew > renewDeadlineMs) {
      setLeading(false, "renew deadline passed");
    } else if (!mine) {
      setLeading(false, "lost the race for the lease");
    }
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      ticking = round().finally(schedule);
    }, retryMs);
  }

  return {
    isLeader: () => leading && now() - lastRenew <= renewDeadlineMs,
    tick: () => (ticking = round()),
    start() {
      if (running) return;
      running = true;
      ticking = round().finally(schedule);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await ticking.catch(() => {});
      if (!leading) return;
      setLeading(false, "shutting down");
      try {
        const current = await port.get();
        if (current?.holder !== identity) return;
        // Released as client-go does: no holder and a 1 s duration, so a standby need not wait it out.
        await port.update({ ...current, holder: "", durationSeconds: 1, renewTime: now() });
        log.info("released lease", { identity });
      } catch (err) {
        log.warn("cannot release lease", { err });
      }
    },
  };
}
