/**
 * Fault: the only broker is SIGKILLed under load and restarted. The gateway answers 503 while it is gone,
 * acknowledges again soon after it is back (the recovery time is measured and printed: the goal is 10 s,
 * the assertion a generous 60 s), and no acknowledged event is lost.
 */
import assert from "node:assert/strict";
import { startKafka } from "@kafka-edge/lib/testing";
import { createTopics } from "../support/read_topic.ts";
import { spawnGateway } from "../support/gateway.ts";
import { FAST_FAILURE_ENV, postOnce, report, runLoad, sleep, verify } from "./load_client.ts";

Deno.test({
  name: "single broker SIGKILL + restart: gateway acknowledges again soon after, no 200 lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t0 = Date.now();
    await using k = await startKafka({ brokers: 1, heapMb: 384 });
    await createTopics(k.bootstrap, [{ topic: "logs", numPartitions: 3 }]);
    await using gw = await spawnGateway({ ...FAST_FAILURE_ENV, KAFKA_BROKERS: k.bootstrap, TOPICS: "logs" });

    let stop = false;
    const load = runLoad({
      url: gw.url,
      topic: "logs",
      prefix: `br${Date.now()}`,
      loops: 4,
      maxMs: 120_000,
      maxPerLoop: 50_000,
      badEvery: 20,
      backoffMs: 100,
      stop: () => stop,
    });
    await sleep(5_000);
    await k.kill(1);
    const killedAt = Date.now();
    await sleep(5_000);
    // restart() returns once the broker serves and is registered; the gateway may write to it before then.
    const restartingAt = Date.now();
    await k.restart(1);
    const backAt = Date.now();
    let recoveredMs = -1;
    for (let i = 0; i < 1000 && Date.now() - backAt < 60_000; i++) {
      if ((await postOnce(gw.url, "logs", `probe-${i}`)) === 200) {
        recoveredMs = Date.now() - backAt;
        break;
      }
      await sleep(100);
    }
    // First 200 of the load client for a request sent after the broker was back.
    const firstLoadOk = load.result.okTimes.filter((t) => t.sentAt >= backAt).map((t) => t.at - backAt);
    await sleep(10_000);
    stop = true;
    const result = await load.done;
    const verdict = await verify(k.bootstrap, "logs", result);
    // Dead from the kill until the restart began: a 200 answered in between can only be a false acknowledgement.
    const okWhileDead = result.okTimes.filter((t) => t.sentAt > killedAt + 500 && t.at < restartingAt).length;
    report("broker_restart", verdict, {
      downSeconds: Math.round((restartingAt - killedAt) / 1000),
      restartSeconds: Math.round((backAt - restartingAt) / 1000),
      recoveryMsAfterBrokerBack: recoveredMs,
      loadClientFirst200MsAfterBrokerBack: firstLoadOk.length ? Math.min(...firstLoadOk) : -1,
      okWhileDead,
      recoveryGoalMet: recoveredMs >= 0 && recoveredMs <= 10_000,
    });
    console.log(`broker_restart took ${Math.round((Date.now() - t0) / 1000)} s`);
    assert.ok(recoveredMs >= 0, "the gateway acknowledges again within 60 s of the broker being back");
    assert.equal(okWhileDead, 0, "no request sent while the broker was dead was answered 200");
    assert.deepEqual(verdict.lost, [], "acknowledged − read = ∅");
    assert.deepEqual(verdict.leaked, [], "no id answered 4xx is in the topic");
  },
});
