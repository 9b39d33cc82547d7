/**
 * The control loop with fake ports: a standby reconciles nothing, winning the lease re-queues every known
 * autoscaler, a failing reconcile is retried, and stop() waits for the workers.
 */
import assert from "node:assert/strict";
import { createLogger } from "@kafka-edge/lib";
import { type AutoscalerSource, createController } from "../operator/controller/controller.ts";
import { createSampleHistory } from "../operator/controller/history.ts";
import type { KubePort } from "../operator/controller/ports.ts";
import { createWorkQueue } from "../operator/controller/work_queue.ts";

function fakeSource(keys: string[]): AutoscalerSource & { emit(key: string): void } {
  let changed: (key: string) => void = () => {};
  return {
    start(handlers) {
      changed = handlers.changed;
      for (const key of keys) changed(key);
    },
    keys: () => keys,
    synced: () => true,
    stop: () => Promise.resolve(),
    emit: (key) => changed(key),
  };
}

async function until(what: string, predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup(failFirst: number) {
  const reads: string[] = [];
  let failures = failFirst;
  const kube: KubePort = {
    getAutoscaler(namespace, name) {
      reads.push(`${namespace}/${name}`);
      if (failures-- > 0) return Promise.reject(new Error("API server unavailable"));
      // Gone: the simplest reconcile, and it must not be polled again.
      return Promise.resolve(undefined);
    },
    getScale: () => Promise.reject(new Error("unused")),
    writeScale: () => Promise.reject(new Error("unused")),
    patchStatus: () => Promise.reject(new Error("unused")),
    emitEvent: () => Promise.reject(new Error("unused")),
  };
  let leader = false;
  const source = fakeSource(["ns/a", "ns/b"]);
  const controller = createController({
    deps: {
      kube,
      lag: { read: () => Promise.reject(new Error("unused")), release: () => Promise.resolve() },
      core: {
        decide: () => {
          throw new Error("unused");
        },
        observe: () => undefined,
        learnRate: (s) => s,
      },
      history: createSampleHistory(),
      now: Date.now,
      log: createLogger({ level: "error", sink: () => {} }),
      isLeader: () => leader,
    },
    source,
    queue: createWorkQueue({ baseDelayMs: 5, maxDelayMs: 20 }),
    concurrency: 2,
    log: createLogger({ level: "error", sink: () => {} }),
  });
  return { controller, reads, source, lead: () => (leader = true) };
}

Deno.test("controller: a standby reconciles nothing; winning the lease reconciles every known autoscaler", async () => {
  const { controller, reads, lead } = setup(0);
  controller.start();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(reads, [], "keys from the watch are dropped while not leading");
  lead();
  controller.resyncAll();
  await until("both reconciled", () => reads.length === 2);
  assert.deepEqual(reads.sort(), ["ns/a", "ns/b"]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(reads.length, 2, "a deleted autoscaler is not polled again");
  await controller.stop();
});

Deno.test("controller: a failing reconcile is retried with backoff until it succeeds", async () => {
  const { controller, reads, lead, source } = setup(3);
  lead();
  controller.start();
  await until("retries", () => reads.length >= 5);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(reads.length, 5, "3 failures, then one success per key");
  source.emit("ns/a");
  await until("the watch event", () => reads.length === 6);
  await controller.stop();
});
