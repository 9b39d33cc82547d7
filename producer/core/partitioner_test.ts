import assert from "node:assert/strict";
import { Partitioners } from "kafkajs";
import { murmur2, partitionFor } from "./partitioner.ts";

const enc = new TextEncoder();

Deno.test("murmur2 matches the Java client's published values", () => {
  // Values from Kafka's UtilsTest.testMurmur2.
  assert.equal(murmur2(enc.encode("21")), -973932308);
  assert.equal(murmur2(enc.encode("foobar")), -790332482);
  assert.equal(murmur2(enc.encode("a-little-bit-long-string")), -985981536);
  assert.equal(murmur2(enc.encode("a-little-bit-longer-string")), -1486304829);
  assert.equal(murmur2(enc.encode("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  assert.equal(murmur2(new Uint8Array([97, 98, 99])), 479470107);
});

Deno.test("partitionFor agrees with kafkajs' DefaultPartitioner for 2 000 keys", () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from(
    { length: 12 },
    (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }),
  );
  for (let i = 0; i < 2000; i++) {
    const key = `user-${i}-${"x".repeat(i % 9)}`;
    const theirs = partitioner({ topic: "t", partitionMetadata, message: { key, value: null } });
    assert.equal(partitionFor(enc.encode(key), 12, 0), theirs, key);
  }
});

Deno.test("partitionFor sends keyless records to the fallback partition", () => {
  assert.equal(partitionFor(null, 6, 8), 2);
});
