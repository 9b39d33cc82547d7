/**
 * Fault: the partition leader is SIGKILLed and restarted five times under load (3 KRaft brokers, RF 3,
 * min.insync.replicas 2). Every event the gateway answered 200 must be in the topic, and no event it
 * answered 4xx may be.
 */
import assert from "node:assert/strict";
import { startKafka } from "@kafka-edge/lib/testing";
import { spawnGateway } from "../support/gateway.ts";
import {
  createReplicatedTopic,
  FAST_FAILURE_ENV,
  partitionState,
  report,
  runLoad,
  sleep,
  verify,
} from "./load_client.ts";

const KILLS = 5;

Deno.test({
  name: "leader SIGKILLed 5 times under load: every 200 is stored, no 4xx is stored",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t0 = Date.now();
    await using k = await startKafka({ brokers: 3, heapMb: 384 });
    await createReplicatedTopic(k.bootstrap, "orders", { partitions: 1, replicationFactor: 3, minInsync: 2 });
    await using gw = await spawnGateway({
      ...FAST_FAILURE_ENV,
      KAFKA_BROKERS: k.bootstrap,
      TOPICS: "orders",
    });

    let faultsDone = false;
    const load = runLoad({
      url: gw.url,
      topic: "orders",
      prefix: `lk${Date.now()}`,
      loops: 6,
      maxMs: 150_000,
      maxPerLoop: 50_000,
      badEvery: 10,
      stop: () => faultsDone,
    });
    const killed: number[] = [];
    const loadStart = Date.now();
    await sleep(3_000);
    for (let n = 0; n < KILLS; n++) {
      // Wait (bounded) for a full ISR, so each kill hits a healthy partition rather than a degraded one.
      const isrDeadline = Date.now() + 30_000;
      let state = await partitionState(k.bootstrap, "orders");
      while (state.isr.length < 3 && Date.now() < isrDeadline) {
        await sleep(500);
        state = await partitionState(k.bootstrap, "orders");
      }
      assert.ok(state.leader > 0, `partition has a leader before kill ${n + 1}`);
      await k.kill(state.leader);
      killed.push(state.leader);
      await sleep(2_000);
      await k.restart(state.leader);
      await sleep(1_000);
    }
    await sleep(3_000);
    faultsDone = true;
    const result = await load.done;
    const loadMs = Date.now() - loadStart;

    const verdict = await verify(k.bootstrap, "orders", result);
    report("leader_kill", verdict, { killed, loadSeconds: Math.round(loadMs / 1000) });
    console.log(`leader_kill took ${Math.round((Date.now() - t0) / 1000)} s`);
    assert.deepEqual(verdict.lost, [], "acknowledged − read = ∅");
    assert.deepEqual(verdict.leaked, [], "no id answered 4xx is in the topic");
    assert.ok(verdict.acked > 100, `the gateway acknowledged events through the faults (${verdict.acked})`);
    for (const code of Object.keys(verdict.statuses)) {
      assert.ok(["200", "400", "503", "no-answer"].includes(code), `unexpected status ${code}`);
    }
  },
});
