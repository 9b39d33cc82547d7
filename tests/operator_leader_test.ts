/**
 * Leader election against an in-memory Lease with resourceVersion semantics and a hand-driven clock:
 * one leader at a time, takeover only after a whole lease duration of silence (on the standby's clock) or at
 * once after a release, and a leader that cannot renew stops leading before a standby may start.
 */
import assert from "node:assert/strict";
import { createLogger } from "@kafka-edge/lib";
import { createLeaderElector, type LeasePort, type LeaseRecord } from "../operator/controller/leader.ts";

function memoryLease(): LeasePort & { record(): LeaseRecord | undefined; failing: boolean } {
  let stored: LeaseRecord | undefined;
  let version = 0;
  const port = {
    failing: false,
    record: () => stored,
    get() {
      if (port.failing) return Promise.reject(new Error("API server unavailable"));
      return Promise.resolve(stored);
    },
    create(r: LeaseRecord) {
      if (port.failing) return Promise.reject(new Error("API server unavailable"));
      if (stored) return Promise.resolve(false);
      stored = { ...r, resourceVersion: String(++version) };
      return Promise.resolve(true);
    },
    update(r: LeaseRecord) {
      if (port.failing) return Promise.reject(new Error("API server unavailable"));
      if (stored?.resourceVersion !== r.resourceVersion) return Promise.resolve(false);
      stored = { ...r, resourceVersion: String(++version) };
      return Promise.resolve(true);
    },
  };
  return port;
}

const log = createLogger({ level: "error", sink: () => {} });

Deno.test("leader: the first candidate acquires; a second stays standby while the leader renews", async () => {
  let now = 1_000_000;
  const lease = memoryLease();
  const a = createLeaderElector(lease, { identity: "a", leaseDurationMs: 15_000, log, now: () => now });
  const b = createLeaderElector(lease, { identity: "b", leaseDurationMs: 15_000, log, now: () => now });
  await a.tick();
  await b.tick();
  assert.equal(a.isLeader(), true);
  assert.equal(b.isLeader(), false);
  for (let i = 0; i < 10; i++) {
    now += 3_000;
    await a.tick();
    await b.tick();
  }
  assert.equal(a.isLeader(), true, "30 s of renewals keep the lease");
  assert.equal(b.isLeader(), false);
  assert.equal(lease.record()?.holder, "a");
  assert.equal(lease.record()?.transitions, 1);
});

Deno.test("leader: a standby takes over only after a lease duration without renewal", async () => {
  let now = 1_000_000;
  const lease = memoryLease();
  const a = createLeaderElector(lease, { identity: "a", leaseDurationMs: 15_000, log, now: () => now });
  const b = createLeaderElector(lease, { identity: "b", leaseDurationMs: 15_000, log, now: () => now });
  await a.tick();
  await b.tick();
  // a hangs (no more ticks); b watches the record stay the same.
  now += 14_000;
  await b.tick();
  assert.equal(b.isLeader(), false, "not before the duration has passed");
  assert.equal(a.isLeader(), false, "a itself stopped trusting its lease after the renew deadline");
  now += 2_000;
  await b.tick();
  assert.equal(b.isLeader(), true);
  assert.equal(lease.record()?.holder, "b");
  assert.equal(lease.record()?.transitions, 2);
  now += 1_000;
  await a.tick();
  assert.equal(a.isLeader(), false, "the old leader sees the new holder and stays standby");
});

Deno.test("leader: release on stop lets a standby take over at its next round", async () => {
  let now = 1_000_000;
  const lease = memoryLease();
  const a = createLeaderElector(lease, { identity: "a", leaseDurationMs: 15_000, log, now: () => now });
  const b = createLeaderElector(lease, { identity: "b", leaseDurationMs: 15_000, log, now: () => now });
  await a.tick();
  await b.tick();
  await a.stop();
  assert.equal(a.isLeader(), false);
  assert.equal(lease.record()?.holder, "");
  now += 3_000;
  await b.tick();
  assert.equal(b.isLeader(), true);
});

Deno.test("leader: a leader that cannot reach the API server steps down by the renew deadline", async () => {
  let now = 1_000_000;
  const lease = memoryLease();
  const changes: string[] = [];
  const a = createLeaderElector(lease, {
    identity: "a",
    leaseDurationMs: 15_000,
    log,
    now: () => now,
    onStartedLeading: () => changes.push("started"),
    onStoppedLeading: () => changes.push("stopped"),
  });
  await a.tick();
  lease.failing = true;
  now += 9_000;
  await a.tick();
  assert.equal(a.isLeader(), true, "within the renew deadline (10 s)");
  now += 2_000;
  assert.equal(a.isLeader(), false, "isLeader turns false by the clock alone, before the next round");
  await a.tick();
  lease.failing = false;
  now += 1_000;
  await a.tick();
  assert.equal(a.isLeader(), true, "its own lease is taken back at once when the API server returns");
  assert.deepEqual(changes, ["started", "stopped", "started"]);
});
