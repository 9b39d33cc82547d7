/**
 * A bound on the bytes the gateway holds for Kafka at once. Requests that do not fit are refused (429)
 * before anything is buffered, which is what keeps memory flat when Kafka is slower than the clients.
 */
export interface ByteBudget {
  readonly capacity: number;
  readonly inUse: number;
  /** Reserves `bytes` if they fit; false (and nothing reserved) otherwise. */
  tryAcquire(bytes: number): boolean;
  release(bytes: number): void;
}

/** A budget of `capacity` bytes. */
export function createByteBudget(capacity: number): ByteBudget {
  let inUse = 0;
  return {
    capacity,
    get inUse() {
      return inUse;
    },
    tryAcquire(bytes) {
      if (bytes < 0 || inUse + bytes > capacity) return false;
      inUse += bytes;
      return true;
    },
    release(bytes) {
      inUse = Math.max(0, inUse - bytes);
    },
  };
}

/** Bytes a record occupies while buffered: key, value, header names and values. */
export function recordBytes(
  record: {
    readonly key: Uint8Array | null;
    readonly value: Uint8Array | null;
    readonly headers: ReadonlyArray<readonly [string, string | Uint8Array]>;
  },
): number {
  let n = 64 + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  for (const [name, value] of record.headers) {
    n += name.length + (typeof value === "string" ? value.length : value.byteLength);
  }
  return n;
}
