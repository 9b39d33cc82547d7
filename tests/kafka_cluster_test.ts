import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startKafka } from "@kafka-edge/lib/testing";
import { eventually, roundTrip } from "./support/roundtrip.ts";

function client(bootstrap: string): Kafka {
  return new Kafka({
    clientId: "cluster-test",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    // kafkajs' default budget (5 retries from 300 ms, 7-11 s of backoff) is about what a fenced
    // controller plus a fenced broker take on a loaded 2-core runner, and an inner metadata retrier
    // that runs out fails the send for good; ~30 s makes the failover test about Kafka, not timing.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
}

Deno.test({
  name: "kafkajs on one broker: 10 000 keyed messages round-trip through a group without re-delivery",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using k = await startKafka({ brokers: 1 });
    await roundTrip(client(k.bootstrap), { topic: "roundtrip-1", count: 10_000, replication: 1 });
  },
});

Deno.test({
  name: "three brokers: round-trip, and acks=all keeps succeeding while a broker is SIGKILLed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using k = await startKafka({ brokers: 3 });
    const kafka = client(k.bootstrap);

    await t.step("10 000 keyed messages round-trip through a group without re-delivery", async () => {
      await roundTrip(kafka, { topic: "roundtrip-3", count: 10_000, replication: 3 });
    });

    await t.step("a SIGKILLed broker costs no acknowledged write and rejoins the ISR", async () => {
      const topic = "failover";
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{
          topic,
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [{ name: "min.insync.replicas", value: "2" }],
        }],
      });
      const leaderOf0 = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions
        .find((p) => p.partitionId === 0)!.leader;

      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const acked: number[] = [];
      const failures: string[] = [];
      let seq = 0;
      let slowestMs = 0;
      async function sendRound(rounds: number) {
        for (let r = 0; r < rounds; r++) {
          const ids = Array.from({ length: 10 }, () => seq++);
          const started = Date.now();
          try {
            await producer.send({
              topic,
              acks: -1,
              messages: ids.map((i) => ({ key: `k${i % 7}`, value: String(i) })),
            });
            acked.push(...ids);
          } catch (err) {
            failures.push(`${String(err)} after ${Date.now() - started} ms`);
          }
          slowestMs = Math.max(slowestMs, Date.now() - started);
        }
      }
      await sendRound(20);
      await k.kill(leaderOf0);
      await sendRound(50); // every one of these needs the surviving two replicas to acknowledge
      await k.restart(leaderOf0);
      await sendRound(20);
      await producer.disconnect();
      assert.deepEqual(
        failures,
        [],
        `no send fails while one of three replicas is down (slowest send ${slowestMs} ms)`,
      );
      assert.equal(acked.length, 900);

      let isrFull = false;
      const deadline = Date.now() + 60_000;
      while (!isrFull && Date.now() < deadline) {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        isrFull = meta.topics[0].partitions.every((p) => p.isr.includes(leaderOf0) && p.isr.length === 3);
        if (!isrFull) await new Promise((r) => setTimeout(r, 250));
      }
      await admin.disconnect();
      assert.ok(isrFull, `broker ${leaderOf0} is back in the ISR of every partition`);

      const read = new Set<number>();
      const consumer = kafka.consumer({ groupId: "failover-check" });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          read.add(Number(message.value!.toString()));
          return Promise.resolve();
        },
      });
      await eventually(
        () => acked.every((i) => read.has(i)),
        60_000,
        "every acknowledged message is readable",
      );
      await consumer.disconnect();
    });
  },
});
