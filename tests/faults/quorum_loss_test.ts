/**
 * Fault: 2 of 3 brokers die at once (RF 3, min.insync.replicas 2 — and the KRaft controller quorum is lost
 * with them). While they are down the gateway must answer only 503 + Retry-After (zero 2xx) and report
 * /readyz false; when they return it recovers by itself, and nothing it acknowledged is lost.
 */
import assert from "node:assert/strict";
import { startKafka } from "@kafka-edge/lib/testing";
import { spawnGateway } from "../support/gateway.ts";
import {
  createReplicatedTopic,
  FAST_FAILURE_ENV,
  partitionState,
  postOnce,
  readyz,
  report,
  runLoad,
  sleep,
  verify,
} from "./load_client.ts";

const READY_GRACE_MS = 5_000;

Deno.test({
  name: "2 of 3 brokers down: only 503 + Retry-After, /readyz stays 503, self-recovery, nothing lost",
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

    // Phase 1: healthy load.
    let phase: "before" | "down" | "after" = "before";
    const load = runLoad({
      url: gw.url,
      topic: "orders",
      prefix: `ql${Date.now()}`,
      loops: 4,
      maxMs: 150_000,
      maxPerLoop: 50_000,
      backoffMs: 200,
      stop: () => phase === "after",
    });
    await sleep(5_000);

    // Phase 2: kill the leader and one follower together, so no ISR shrink can happen in between.
    const { leader } = await partitionState(k.bootstrap, "orders");
    const victims = [leader, [1, 2, 3].find((id) => id !== leader)!];
    await Promise.all(victims.map((id) => k.kill(id)));
    const downAt = Date.now();
    phase = "down";

    // Requests sent once both are dead: every answer must be 503 with Retry-After, none 2xx.
    const downStatuses = new Map<number, number>();
    const readyStatuses = new Map<number, number>();
    let missingRetryAfter = 0;
    const down: Promise<void>[] = [];
    for (let w = 0; w < 3; w++) {
      down.push((async () => {
        for (let i = 0; i < 400 && Date.now() - downAt < 20_000; i++) {
          try {
            const res = await fetch(`${gw.url}/v1/topics/orders/events`, {
              method: "POST",
              body: JSON.stringify({ down: i }),
              headers: { "content-type": "application/json", "idempotency-key": `down-${w}-${i}` },
              signal: AbortSignal.timeout(15_000),
            });
            await res.body?.cancel();
            downStatuses.set(res.status, (downStatuses.get(res.status) ?? 0) + 1);
            if (res.status === 503 && !(Number(res.headers.get("retry-after")) >= 1)) missingRetryAfter++;
          } catch {
            downStatuses.set(0, (downStatuses.get(0) ?? 0) + 1);
          }
          await sleep(100);
        }
      })());
    }
    // /readyz must turn 503 within a bounded time and stay so.
    // After a grace of READY_GRACE_MS (metadata staleness 1.5 s + refresh), every probe must say 503.
    let readyFalseAfterMs = -1;
    const readyTimeline: string[] = [];
    let readyAfterGrace = 0;
    for (let i = 0; i < 200 && Date.now() - downAt < 20_000; i++) {
      const s = await readyz(gw.url);
      const at = Date.now() - downAt;
      readyStatuses.set(s, (readyStatuses.get(s) ?? 0) + 1);
      if (readyTimeline.at(-1)?.endsWith(`:${s}`) !== true) readyTimeline.push(`${at}ms:${s}`);
      if (s === 503 && readyFalseAfterMs < 0) readyFalseAfterMs = at;
      if (s === 200 && at > READY_GRACE_MS) readyAfterGrace++;
      await sleep(250);
    }
    await Promise.all(down);
    const lastReady = await readyz(gw.url);
    const okWhileDown = result2xxBetween(load.result.okTimes, downAt, Date.now());

    // Phase 3: both come back; the gateway recovers by itself.
    const backStart = Date.now();
    await Promise.all(victims.map((id) => k.restart(id)));
    const brokersBack = Date.now();
    let recoveredMs = -1;
    for (let i = 0; i < 600 && Date.now() - brokersBack < 90_000; i++) {
      if ((await postOnce(gw.url, "orders", `probe-${i}`)) === 200) {
        recoveredMs = Date.now() - brokersBack;
        break;
      }
      await sleep(200);
    }
    await sleep(3_000);
    phase = "after";
    const result = await load.done;
    const verdict = await verify(k.bootstrap, "orders", result);
    report("quorum_loss", verdict, {
      killed: victims,
      downStatuses: Object.fromEntries(downStatuses),
      readyzWhileDown: Object.fromEntries(readyStatuses),
      readyzFalseAfterMs: readyFalseAfterMs,
      readyz200AfterGrace: readyAfterGrace,
      readyzTimeline: readyTimeline.slice(0, 40),
      loadClient2xxWhileDown: okWhileDown,
      restartMs: brokersBack - backStart,
      recoveredMsAfterBrokersBack: recoveredMs,
    });
    console.log(`quorum_loss took ${Math.round((Date.now() - t0) / 1000)} s`);

    assert.deepEqual(verdict.lost, [], "acknowledged − read = ∅");
    assert.equal(okWhileDown, 0, "no request sent while the quorum was lost was answered 2xx");
    for (const code of downStatuses.keys()) {
      assert.ok(code === 503, `while down only 503 is answered, got ${JSON.stringify([...downStatuses])}`);
    }
    assert.ok(recoveredMs >= 0, "the gateway acknowledges again within 90 s of the brokers' return");
    assert.equal(missingRetryAfter, 0, "every 503 carries Retry-After ≥ 1");
    assert.ok(readyFalseAfterMs >= 0, `/readyz turns 503 while down: ${JSON.stringify([...readyStatuses])}`);
    assert.equal(lastReady, 503, "/readyz is still 503 at the end of the outage");
    assert.equal(readyAfterGrace, 0, `/readyz stays 503 from ${READY_GRACE_MS} ms into the outage`);
  },
});

/** 2xx answers to requests sent inside [from, to]. */
function result2xxBetween(
  times: readonly { sentAt: number; at: number }[],
  from: number,
  to: number,
): number {
  return times.filter((t) => t.sentAt >= from && t.sentAt <= to).length;
}
