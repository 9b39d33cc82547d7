/** The controller's work queue: merging, one worker per key, earliest delayed add wins, backoff. */
import assert from "node:assert/strict";
import { createWorkQueue, type QueueClock } from "../operator/controller/work_queue.ts";

/** A clock whose timers fire only when the test advances time. */
function fakeClock(): QueueClock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id as number),
    advance(ms) {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue;
        timers.delete(id);
        t.fn();
      }
    },
    pending: () => timers.size,
  };
}

Deno.test("work queue: duplicate adds of a waiting key merge into one item", async () => {
  const q = createWorkQueue();
  q.add("ns/a");
  q.add("ns/a");
  q.add("ns/b");
  assert.equal(q.length(), 2);
  assert.equal(await q.get(), "ns/a");
  assert.equal(await q.get(), "ns/b");
  assert.equal(q.length(), 0);
});

Deno.test("work queue: a key added while processing runs once more after done, never concurrently", async () => {
  const q = createWorkQueue();
  q.add("ns/a");
  const key = await q.get();
  q.add("ns/a");
  q.add("ns/a");
  assert.equal(q.length(), 0, "not handed to a second worker while the first holds it");
  q.done(key!);
  assert.equal(q.length(), 1, "re-queued exactly once");
  assert.equal(await q.get(), "ns/a");
});

Deno.test("work queue: a waiting get receives the next added key", async () => {
  const q = createWorkQueue();
  const waiting = q.get();
  q.add("ns/a");
  assert.equal(await waiting, "ns/a");
});

Deno.test("work queue: addAfter keeps only the earliest pending time per key", () => {
  const clock = fakeClock();
  const q = createWorkQueue({ clock });
  q.addAfter("ns/a", 5_000);
  q.addAfter("ns/a", 1_000);
  q.addAfter("ns/a", 9_000);
  assert.equal(clock.pending(), 1, "poll chains never multiply");
  clock.advance(999);
  assert.equal(q.length(), 0);
  clock.advance(1);
  assert.equal(q.length(), 1);
});

Deno.test("work queue: failures back off exponentially up to the cap and forget resets them", () => {
  const clock = fakeClock();
  const q = createWorkQueue({ clock, baseDelayMs: 100, maxDelayMs: 1_000 });
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    q.addRateLimited("ns/a");
    let waited = 0;
    while (q.length() === 0) {
      clock.advance(50);
      waited += 50;
    }
    delays.push(waited);
    q.get();
    q.done("ns/a");
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(q.failures("ns/a"), 6);
  q.forget("ns/a");
  assert.equal(q.failures("ns/a"), 0);
});

Deno.test("work queue: drop cancels a delayed add; shutdown wakes waiting workers with undefined", async () => {
  const clock = fakeClock();
  const q = createWorkQueue({ clock });
  q.addAfter("ns/a", 1_000);
  q.drop("ns/a");
  clock.advance(2_000);
  assert.equal(q.length(), 0);
  const waiting = q.get();
  q.shutdown();
  assert.equal(await waiting, undefined);
  q.add("ns/b");
  assert.equal(await q.get(), undefined, "no work after shutdown");
});
