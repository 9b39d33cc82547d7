/**
 * Kafka's default key partitioning (Java client `Utils.murmur2`, `toPositive(h) % n`), so a key lands on the
 * same partition whether it was written through the gateway, the Java client or kafkajs' DefaultPartitioner.
 * The gateway partitions itself because it batches per topic-partition before calling Kafka.
 */

/** 32-bit murmur2 with Kafka's seed, as a signed int like Java's. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) +
      ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const index = length4 * 4;
  switch (length & 3) {
    case 3:
      h ^= (data[index + 2] & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[index + 1] & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[index] & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition for a key among `partitions`; keyless records go to `fallback` (sticky per batch). */
export function partitionFor(key: Uint8Array | null, partitions: number, fallback: number): number {
  if (key === null) return fallback % partitions;
  return (murmur2(key) & 0x7fffffff) % partitions;
}
