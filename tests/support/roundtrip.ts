/**
 * The kafkajs-under-Deno round trip both the 1-broker and 3-broker tests run: produce keyed messages with
 * headers, consume them in a group, commit, re-join, and prove nothing is delivered twice.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";

/** Polls until `done()` or the deadline; fails with `what` on timeout. */
export async function eventually(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Produces `count` messages to a fresh topic and checks a consumer group reads each exactly once. */
export async function roundTrip(
  kafka: Kafka,
  opts: { topic: string; count: number; replication: number },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: opts.topic, numPartitions: 6, replicationFactor: opts.replication }],
  });
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let start = 0; start < opts.count; start += 500) {
    const messages = [];
    for (let i = start; i < Math.min(start + 500, opts.count); i++) {
      messages.push({ key: `user-${i % 97}`, value: JSON.stringify({ i }), headers: { seq: String(i) } });
    }
    await producer.send({ topic: opts.topic, acks: -1, messages });
  }
  await producer.disconnect();

  const group = `${opts.topic}-group`;
  const seen = new Map<number, number>();
  const lastSeqByKey = new Map<string, number>();
  let outOfOrder = 0;
  const first = kafka.consumer({ groupId: group });
  await first.connect();
  await first.subscribe({ topic: opts.topic, fromBeginning: true });
  await first.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const m of batch.messages) {
        const seq = Number(m.headers?.seq?.toString());
        const { i } = JSON.parse(m.value!.toString());
        assert.equal(i, seq, "header and value belong to the same message");
        const key = m.key!.toString();
        if ((lastSeqByKey.get(key) ?? -1) >= seq) outOfOrder++;
        lastSeqByKey.set(key, seq);
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
        resolveOffset(m.offset);
      }
      await commitOffsetsIfNecessary({
        topics: [{
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }],
        }],
      });
    },
  });
  await eventually(
    () => seen.size === opts.count,
    60_000,
    `consume ${opts.count} messages (got ${seen.size})`,
  );
  await first.disconnect();
  assert.equal(outOfOrder, 0, "messages of one key arrive in the order they were produced");
  assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], "each message is consumed exactly once");
  assert.equal(lastSeqByKey.size, 97);

  // A new member of the same group must resume after the committed offsets: only the marker arrives.
  const marker = kafka.producer();
  await marker.connect();
  await marker.send({
    topic: opts.topic,
    acks: -1,
    messages: [{ key: "marker", value: JSON.stringify({ i: -1 }) }],
  });
  await marker.disconnect();
  const redelivered: number[] = [];
  let markerSeen = false;
  const second = kafka.consumer({ groupId: group });
  await second.connect();
  await second.subscribe({ topic: opts.topic, fromBeginning: true });
  await second.run({
    eachMessage: ({ message }) => {
      const { i } = JSON.parse(message.value!.toString());
      if (i === -1) markerSeen = true;
      else redelivered.push(i);
      return Promise.resolve();
    },
  });
  await eventually(() => markerSeen, 60_000, "the re-joined member receives the marker");
  await second.disconnect();
  assert.deepEqual(redelivered, [], "a re-joined group sees no re-delivery of committed messages");
}
