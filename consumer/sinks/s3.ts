/**
 * S3 sink: gzipped NDJSON objects per topic-partition, keyed by offset range
 * (`{prefix}topic=<t>/date=<yyyy-mm-dd>/hour=<HH>/part-<partition>-<first>-<last>.ndjson.gz`, date and hour
 * of the first record's Kafka timestamp, UTC), signed with SigV4 by aws4fetch over plain fetch.
 *
 * Buffering within the runtime's contract (offsets are committed only after write() resolves):
 * - write() resolves only once every object holding its records is uploaded, so an acknowledged record is
 *   always durable. Nothing is acknowledged from memory.
 * - Each partition has one open object. A record closes it first when adding the record would exceed
 *   `maxObjectBytes` (uncompressed) or `maxObjectRecords`, or when the record falls into another UTC hour;
 *   so a big batch becomes several objects, uploaded concurrently.
 * - What remains open when write() has appended its records is flushed:
 *   - with `flushIntervalMs` 0 (default), at once: one write gives one object or more and nothing is held
 *     between writes. Object size then follows the runtime's batch size; tune that for bigger objects.
 *   - with `flushIntervalMs` > 0, after at most that long, so writes arriving meanwhile for the same
 *     partition share the object. This only helps a runtime that keeps several writes per partition in
 *     flight; a runtime that awaits each write would just wait the interval, so it is opt-in.
 * - Replays: the cut points depend only on the records, so re-writing the same batch yields the same keys
 *   and overwrites. A replay cut differently (another batch size) can leave records in two overlapping
 *   objects; every line carries the event id, so readers can dedupe (at-least-once, as everywhere).
 * - A write that aborts or fails takes its not-yet-uploaded records out of the open object, and a write
 *   starting at or below an offset already buffered supersedes those records, so an object never holds
 *   the same offset twice or offsets out of order.
 *
 * Errors: network, timeouts, 429 and 5xx are transient; 403/404/redirects too (configuration: stall and
 * alert rather than dead-letter everything; start() already checks the bucket with HEAD). Other 4xx fail
 * the object's records permanently, as do records that cannot be rendered as a line.
 */
import { AwsClient } from "aws4fetch";
import { type Clock, type Logger, systemClock } from "@kafka-edge/lib";
import { type Sink, SinkError, type SinkRecord, type SinkWriteResult } from "../core/sink.ts";
import {
  classifyS3Failure,
  gzip,
  hourOf,
  lineBytes,
  type LineFormat,
  mustCut,
  objectKey,
  type ObjectLimits,
  recordLine,
  sha256Hex,
} from "./s3_objects.ts";
import {
  abortedError,
  clip,
  createTransport,
  type FetchFn,
  type HttpTransport,
  parseRetryAfter,
  raceAbort,
  throwIfAborted,
  transportError,
  withDeadline,
} from "./sink_http.ts";

/** Options for {@link createS3Sink}. */
export interface S3SinkOptions {
  readonly bucket: string;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default https://s3.<region>.amazonaws.com; set it for MinIO, s3proxy, R2 and friends. */
  readonly endpoint?: string;
  /** Bucket in the path instead of the host name; needed by s3proxy and most local servers. Default false. */
  readonly forcePathStyle?: boolean;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Key prefix; a trailing "/" is added when missing. Default none. */
  readonly prefix?: string;
  /** Default `cloudevent`. */
  readonly format?: LineFormat;
  /** Uncompressed NDJSON bytes per object; default 16 MiB. */
  readonly maxObjectBytes?: number;
  /** Records per object; default 100 000. */
  readonly maxObjectRecords?: number;
  /** How long a partition's open object waits for more writes; default 0 (see the module notes). */
  readonly flushIntervalMs?: number;
  /** Per-request timeout; default 60 s. */
  readonly requestTimeoutMs?: number;
  readonly name?: string;
  readonly logger?: Logger;
  /** Test seam: drives the flush timer. */
  readonly clock?: Clock;
  /** Test seam: replaces the HTTP client. */
  readonly fetch?: FetchFn;
}

type Failure = { index: number; error: SinkError };

/** One pending write: resolves when all its lines are uploaded or failed permanently. */
interface Waiter {
  remaining: number;
  settled: boolean;
  readonly failures: Failure[];
  readonly lane: Lane;
  readonly promise: Promise<SinkWriteResult>;
  resolve(result: SinkWriteResult): void;
  reject(error: SinkError): void;
}

interface Line {
  readonly record: SinkRecord;
  readonly index: number;
  readonly text: string;
  readonly bytes: number;
  readonly hour: number;
  readonly waiter: Waiter;
}

/** The open object of one topic-partition. */
interface Lane {
  lines: Line[];
  bytes: number;
  timer?: unknown;
}

/** Creates the sink; nothing is contacted before start(). */
export function createS3Sink(options: S3SinkOptions): Sink {
  const region = options.region ?? "us-east-1";
  const endpoint = new URL(options.endpoint ?? `https://s3.${region}.amazonaws.com`);
  const endpointBase = endpoint.href.replace(/\/+$/, "");
  const pathStyle = options.forcePathStyle ?? false;
  const format = options.format ?? "cloudevent";
  const limits: ObjectLimits = {
    maxBytes: options.maxObjectBytes ?? 16 * 1024 * 1024,
    maxRecords: options.maxObjectRecords ?? 100_000,
  };
  const flushIntervalMs = options.flushIntervalMs ?? 0;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const log = options.logger;
  const aws = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    sessionToken: options.sessionToken,
    service: "s3",
    region,
  });
  const lanes = new Map<string, Lane>();
  const inflight = new Set<Promise<void>>();
  // Aborts uploads still running at close(); they can only belong to writes that already gave up.
  const lifetime = new AbortController();
  let transport: HttpTransport | undefined;
  let closed = false;

  function bucketUrl(): string {
    if (pathStyle) return `${endpointBase}/${encodeURIComponent(options.bucket)}`;
    return `${endpoint.protocol}//${options.bucket}.${endpoint.host}`;
  }

  function objectUrl(key: string): string {
    return `${bucketUrl()}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  async function send(request: Request, caller: AbortSignal): Promise<{ response: Response; text: string }> {
    if (!transport) throw new Error("s3 sink: write() before start()");
    const deadline = withDeadline(caller, requestTimeoutMs);
    try {
      const response = await transport.fetch(request, deadline.signal);
      return { response, text: await response.text() };
    } catch (err) {
      throw transportError(`s3 ${endpointBase} unreachable`, err, caller);
    } finally {
      deadline.dispose();
    }
  }

  async function put(key: string, body: Uint8Array<ArrayBuffer>): Promise<void> {
    const signed = await aws.sign(objectUrl(key), {
      method: "PUT",
      body,
      headers: { "content-type": "application/gzip", "x-amz-content-sha256": await sha256Hex(body) },
    });
    const { response, text } = await send(signed, lifetime.signal);
    if (!response.ok) {
      throw classifyS3Failure(response.status, text, parseRetryAfter(response.headers.get("retry-after")));
    }
  }

  function createWaiter(lane: Lane): Waiter {
    const { promise, resolve, reject } = Promise.withResolvers<SinkWriteResult>();
    return { remaining: 0, settled: false, failures: [], lane, promise, resolve, reject };
  }

  function maybeResolve(waiter: Waiter): void {
    if (waiter.settled || waiter.remaining > 0) return;
    waiter.settled = true;
    const failures = waiter.failures.sort((a, b) => a.index - b.index);
    waiter.resolve(failures.length > 0 ? { failures } : {});
  }

  function removeLines(lane: Lane, drop: (line: Line) => boolean): void {
    lane.lines = lane.lines.filter((line) => !drop(line));
    lane.bytes = lane.lines.reduce((sum, line) => sum + line.bytes, 0);
    if (lane.lines.length === 0 && lane.timer !== undefined) {
      clock.clearTimeout(lane.timer);
      lane.timer = undefined;
    }
  }

  function failWaiter(waiter: Waiter, error: SinkError): void {
    if (waiter.settled) return;
    waiter.settled = true;
    removeLines(waiter.lane, (line) => line.waiter === waiter);
    waiter.reject(error);
  }

  async function upload(lines: readonly Line[]): Promise<void> {
    const first = lines[0].record;
    const key = objectKey({
      prefix: options.prefix ?? "",
      topic: first.topic,
      partition: first.partition,
      firstOffset: first.offset,
      lastOffset: lines[lines.length - 1].record.offset,
      timestamp: first.timestamp,
    });
    try {
      const body = await gzip(lines.map((line) => line.text).join("\n") + "\n");
      await put(key, body);
      log?.debug("s3 object uploaded", { key, records: lines.length, bytes: body.length });
      for (const line of lines) line.waiter.remaining--;
    } catch (err) {
      const error = err instanceof SinkError ? err : new SinkError(`s3 upload ${key}: ${err}`, "transient");
      log?.warn("s3 upload failed", { key, records: lines.length, kind: error.kind, error: error.message });
      if (error.kind === "transient") {
        for (const line of lines) failWaiter(line.waiter, error);
        return;
      }
      for (const line of lines) {
        line.waiter.failures.push({ index: line.index, error });
        line.waiter.remaining--;
      }
    }
    for (const waiter of new Set(lines.map((line) => line.waiter))) maybeResolve(waiter);
  }

  function cut(lane: Lane): void {
    if (lane.timer !== undefined) {
      clock.clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    if (lane.lines.length === 0) return;
    const lines = lane.lines;
    lane.lines = [];
    lane.bytes = 0;
    const task = upload(lines).finally(() => inflight.delete(task));
    inflight.add(task);
  }

  function append(lane: Lane, line: Line): void {
    const open = { count: lane.lines.length, bytes: lane.bytes, hour: lane.lines[0]?.hour ?? line.hour };
    if (mustCut(open, line, limits)) cut(lane);
    lane.lines.push(line);
    lane.bytes += line.bytes;
    if (lane.lines.length >= limits.maxRecords || lane.bytes >= limits.maxBytes) cut(lane);
  }

  function laneFor(topic: string, partition: number): Lane {
    const id = `${topic}\u0000${partition}`;
    let lane = lanes.get(id);
    if (!lane) lanes.set(id, lane = { lines: [], bytes: 0 });
    return lane;
  }

  return {
    name: options.name ?? "s3",

    async start() {
      transport ??= createTransport(options.fetch);
      const where = `bucket ${options.bucket} at ${endpointBase}`;
      let answer: { response: Response; text: string };
      try {
        answer = await send(await aws.sign(bucketUrl(), { method: "HEAD" }), lifetime.signal);
      } catch (err) {
        throw new Error(`s3 sink: ${where} is unreachable: ${(err as Error).message}`);
      }
      const { status, headers } = answer.response;
      if (status === 404) throw new Error(`s3 sink: ${where} does not exist`);
      if (status === 403) {
        throw new Error(`s3 sink: access to ${where} denied (check the credentials and the bucket policy)`);
      }
      if (status === 301 || status === 400) {
        const actual = headers.get("x-amz-bucket-region");
        const hint = actual ? `: the bucket is in ${actual}, not ${region}` : "";
        throw new Error(`s3 sink: ${where} answered HTTP ${status}${hint}`);
      }
      if (!answer.response.ok) {
        throw new Error(`s3 sink: ${where} answered HTTP ${status} ${clip(answer.text)}`);
      }
      log?.info("s3 sink ready", { bucket: options.bucket, endpoint: endpointBase, prefix: options.prefix });
    },

    async write(records, ctx): Promise<SinkWriteResult> {
      if (closed) throw new Error("s3 sink: write() after close()");
      throwIfAborted(ctx.signal);
      if (records.length === 0) return {};
      const lane = laneFor(records[0].topic, records[0].partition);
      const waiter = createWaiter(lane);
      const lines: Line[] = [];
      records.forEach((record, index) => {
        try {
          const text = recordLine(record, format);
          lines.push({ record, index, text, bytes: lineBytes(text), hour: hourOf(record.timestamp), waiter });
        } catch (err) {
          const error = err instanceof SinkError ? err : new SinkError(String(err), "permanent");
          waiter.failures.push({ index, error });
        }
      });
      waiter.remaining = lines.length;
      if (lines.length === 0) return { failures: waiter.failures };

      const from = BigInt(lines[0].record.offset);
      const superseded = new Set(
        lane.lines.filter((l) => BigInt(l.record.offset) >= from).map((l) => l.waiter),
      );
      for (const old of superseded) {
        failWaiter(old, new SinkError(`superseded by a write from offset ${from}`, "transient"));
      }
      for (const line of lines) append(lane, line);
      if (flushIntervalMs === 0) cut(lane);
      else if (lane.lines.length > 0 && lane.timer === undefined) {
        lane.timer = clock.setTimeout(() => {
          lane.timer = undefined;
          cut(lane);
        }, flushIntervalMs);
      }
      return await raceAbort(waiter.promise, ctx.signal, () => failWaiter(waiter, abortedError(ctx.signal)));
    },

    async close() {
      closed = true;
      for (const lane of lanes.values()) {
        for (const waiter of new Set(lane.lines.map((line) => line.waiter))) {
          failWaiter(waiter, new SinkError("s3 sink closed", "transient"));
        }
      }
      lifetime.abort(new Error("s3 sink closed"));
      await Promise.allSettled([...inflight]);
      transport?.close();
      transport = undefined;
    },
  };
}
