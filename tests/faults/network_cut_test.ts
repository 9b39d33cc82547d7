/**
 * Fault: the network between gateway and broker stalls (bytes stop, sockets stay open) and then is cut
 * (sockets closed, connections refused), via a loopback TCP proxy that the broker advertises as its
 * address. Timeouts must become 503, never 200; the gateway's memory must stay bounded while requests keep
 * arriving; it must recover when the network does; and no acknowledged event may be lost.
 */
import assert from "node:assert/strict";
import { freePorts, startKafka } from "@kafka-edge/lib/testing";
import { createTopics } from "../support/read_topic.ts";
import { spawnGateway } from "../support/gateway.ts";
import { startTcpProxy } from "../support/tcp_proxy.ts";
import { postOnce, report, rssKiB, runLoad, sleep, verify } from "./load_client.ts";

const STALL_MS = 20_000;
const CUT_MS = 10_000;

Deno.test({
  name: "network stall and cut between gateway and broker: 503 never 200, bounded RSS, recovery, no 200 lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t0 = Date.now();
    const [kafkaPort, proxyPort] = freePorts(2);
    await using proxy = startTcpProxy({ port: proxyPort, targetPort: kafkaPort });
    // The broker advertises the proxy, so every connection a client opens after bootstrap goes through it.
    await using k = await startKafka({
      brokers: 1,
      heapMb: 384,
      port: kafkaPort,
      brokerConfig: { "advertised.listeners": `PLAINTEXT://127.0.0.1:${proxyPort}` },
    });
    await createTopics(k.bootstrap, [{ topic: "logs", numPartitions: 3 }]);
    await using gw = await spawnGateway({
      KAFKA_BROKERS: `127.0.0.1:${proxyPort}`,
      TOPICS: "logs",
      METADATA_REFRESH: "300ms",
      METADATA_STALE_AFTER: "1500ms",
      REQUEST_TIMEOUT: "3s",
      SEND_TIMEOUT: "3s",
      KAFKA_CONNECTION_TIMEOUT: "1000ms",
      KAFKA_REQUEST_TIMEOUT: "2s",
      BUFFER_BYTES: String(8 * 1024 * 1024),
      LOG_LEVEL: "warn",
    });
    const pid = gw.child.pid;

    let stop = false;
    const load = runLoad({
      url: gw.url,
      topic: "logs",
      prefix: `nc${Date.now()}`,
      loops: 8,
      maxMs: 150_000,
      maxPerLoop: 50_000,
      padBytes: 4096,
      backoffMs: 50,
      requestTimeoutMs: 15_000,
      stop: () => stop,
    });
    await sleep(6_000);
    const rssBefore = await rssKiB(pid);

    // Stall.
    proxy.stall();
    const stallAt = Date.now();
    const rss: number[] = [];
    for (let i = 0; i < 100 && Date.now() - stallAt < STALL_MS; i++) {
      rss.push(await rssKiB(pid));
      await sleep(1_000);
    }
    const okDuringStall = load.result.okTimes.filter((t) => t.sentAt >= stallAt).length;
    const stallStatuses = Object.fromEntries(load.result.statuses);
    await proxy.resume();
    const resumedAt = Date.now();
    const stallRecoveryMs = await firstOk(gw.url, resumedAt);

    // Cut.
    await sleep(3_000);
    proxy.cut();
    const cutAt = Date.now();
    for (let i = 0; i < 100 && Date.now() - cutAt < CUT_MS; i++) {
      rss.push(await rssKiB(pid));
      await sleep(1_000);
    }
    const okDuringCut = load.result.okTimes.filter((t) => t.sentAt >= cutAt).length;
    await proxy.resume();
    const cutResumedAt = Date.now();
    const cutRecoveryMs = await firstOk(gw.url, cutResumedAt);
    await sleep(5_000);
    stop = true;
    const result = await load.done;
    const verdict = await verify(k.bootstrap, "logs", result);
    const maxRss = Math.max(...rss);
    report("network_cut", verdict, {
      okDuringStall,
      okDuringCut,
      statusesAtEndOfStall: stallStatuses,
      rssBeforeMiB: Math.round(rssBefore / 1024),
      rssMaxDuringFaultsMiB: Math.round(maxRss / 1024),
      rssSamplesMiB: rss.map((x) => Math.round(x / 1024)),
      stallRecoveryMs,
      cutRecoveryMs,
    });
    console.log(`network_cut took ${Math.round((Date.now() - t0) / 1000)} s`);

    assert.equal(okDuringStall, 0, "no request sent during the stall was answered 200");
    assert.equal(okDuringCut, 0, "no request sent during the cut was answered 200");
    assert.ok((result.statuses.get("503") ?? 0) > 0, "timeouts and refusals became 503");
    for (const code of result.statuses.keys()) {
      assert.ok(["200", "429", "503"].includes(code), `unexpected answer ${code}`);
    }
    assert.ok(maxRss < rssBefore + 192 * 1024, `RSS stays bounded (${rssBefore} KiB → max ${maxRss} KiB)`);
    assert.ok(stallRecoveryMs >= 0, "acknowledges again within 60 s of the stall ending");
    assert.ok(cutRecoveryMs >= 0, "acknowledges again within 60 s of the cut ending");
    assert.deepEqual(verdict.lost, [], "acknowledged − read = ∅");
  },
});

/** Ms from `since` until a probe event is answered 200 (bounded: -1 after 60 s). */
async function firstOk(url: string, since: number): Promise<number> {
  for (let i = 0; i < 600 && Date.now() - since < 60_000; i++) {
    if ((await postOnce(url, "logs", `probe-${since}-${i}`, 5_000)) === 200) return Date.now() - since;
    await sleep(100);
  }
  return -1;
}
