/**
 * The PostgreSQL sink: batches into one table keyed by the event id, so replays after a crash or rebalance
 * store nothing twice.
 *
 * A batch goes first as a `COPY … FROM STDIN` straight into the table: PostgreSQL spends ~60 % of the CPU
 * on it that it spends on `INSERT … ON CONFLICT (id) DO NOTHING` for the same rows (5.3 against 8.7 µs per
 * row in batches of 1,000; docs/benchmarks.md). A COPY cannot skip a row that is stored already: one such
 * row (a replay, or an id twice in the batch) fails the whole statement and stores nothing, and the batch is
 * then written with the INSERT, which skips it. Its partition keeps using the INSERT until a batch of it
 * inserts every row, i.e. until the replay is over, so a replay does not pay for two statements per batch.
 *
 * Table (created when missing unless POSTGRES_CREATE_TABLE=false):
 *
 *     id text PRIMARY KEY, topic text, partition integer, "offset" bigint, time timestamptz,
 *     type text, source text, datacontenttype text, payload jsonb, inserted_at timestamptz
 *
 * `payload` is the (projected) event data: JSON as JSON, text as a JSON string, bytes as
 * {"data_base64": "…"}. Plain-JSON records get ids derived from topic-partition-offset (lib/envelope), so
 * their replays collide on the key as intended.
 *
 * Records arrive undecoded (`reads: "bytes"`): a binary-mode event with JSON data has its attributes
 * checked but its data left as the bytes stored in Kafka, which go into the COPY as they are (escaped) and
 * which PostgreSQL checks and parses into jsonb itself (consumer/core/prepare.ts `storedEvent`). Decoding
 * and parsing them in the worker only to serialise them again was most of the worker's CPU per event. Data
 * that is not JSON (SQLSTATE 22P02) or not UTF-8 (22021) fails its row: a permanent failure, as the decode
 * step would have made it. A record that is no event at all fails alone, before the write.
 *
 * Errors: SQLSTATE classes 22 (data exception, e.g. a \u0000 in a string) and 23 (constraint) are the
 * records' fault. The batch is then re-inserted row by row to find the culprits, which become permanent
 * failures; everything else (connection refused, server shutting down, timeouts) fails the batch transiently.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { bool, type ConfigOf, defineConfig, duration, int, type Logger, str, url } from "@kafka-edge/lib";
import { storedEvent } from "../core/prepare.ts";
import { type Sink, SinkError, type SinkRecord, type SinkWriteResult } from "../core/sink.ts";
import { copyData } from "./postgres_copy.ts";
import { abortedError, raceAbort } from "./sink_http.ts";

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** The PostgreSQL sink's settings. */
export const postgresSinkSpec = defineConfig({
  POSTGRES_URL: url({ protocols: ["postgres:", "postgresql:"] }).secret()
    .describe("postgres://user:password@host:5432/database"),
  POSTGRES_TABLE: str({ pattern: TABLE_NAME, expects: "must be a table name, optionally schema-qualified" })
    .default("kafka_events").example("kafka_events"),
  POSTGRES_CREATE_TABLE: bool().default(true).describe("create the table at start-up when it is missing"),
  POSTGRES_TIMEOUT: duration({ min: 100, max: 600_000 }).default(10_000)
    .describe("connect and statement timeout"),
  POSTGRES_POOL_SIZE: int({ min: 1, max: 100 }).default(4),
});

/** Parsed PostgreSQL sink settings. */
export type PostgresSinkConfig = ConfigOf<typeof postgresSinkSpec.fields>;

/** Logger for pool-level errors (an idle connection dropping must not crash the process). */
export interface PostgresSinkDeps {
  readonly log: Logger;
}

const COLUMNS = [
  "id",
  "topic",
  "partition",
  '"offset"',
  "time",
  "type",
  "source",
  "datacontenttype",
  "payload",
];
// Bounds one statement's data (about 500 B per row) whatever BATCH_SIZE is.
const MAX_ROWS_PER_STATEMENT = 5_000;

/** `"schema"."table"` from a validated name. */
export function quoteTable(name: string): string {
  return name.split(".").map((part) => `"${part}"`).join(".");
}

/** The DDL the sink runs at start-up. */
export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (
  id text PRIMARY KEY,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  time timestamptz,
  type text,
  source text,
  datacontenttype text,
  payload jsonb,
  inserted_at timestamptz NOT NULL DEFAULT now()
)`;
}

/**
 * The INSERT for a batch: one statement text per table (so each connection prepares it once) and one
 * parameter, a JSON array with one array per row, which PostgreSQL expands with jsonb_array_elements. The
 * payload travels as a JSON *string* holding the payload's JSON text, parsed by the `::jsonb` cast, so a
 * payload's text can never become another row or SQL. A multi-row VALUES list with nine bind parameters per
 * row made the server parse and plan thousands of placeholders per batch (13-14 µs per event); one text[]
 * per column cost the worker more than this in node-pg's per-element escaping.
 */
export function insertSql(table: string): string {
  return `INSERT INTO ${quoteTable(table)} (${COLUMNS.join(", ")})
SELECT r->>0, r->>1, (r->>2)::integer, (r->>3)::bigint, (r->>4)::timestamptz, r->>5, r->>6, r->>7,
  (r->>8)::jsonb
FROM jsonb_array_elements($1::jsonb) AS r
ON CONFLICT (id) DO NOTHING`;
}

/** The COPY of a batch: {@link InsertRow} columns, in that order. */
export function copySql(table: string): string {
  return `COPY ${quoteTable(table)} (${COLUMNS.join(", ")}) FROM STDIN`;
}

/**
 * A row of {@link copySql} and {@link insertSql}; the last element is the payload's JSON text, null for no
 * data: bytes when it is the record's value as stored in Kafka (not yet checked to be UTF-8 or JSON).
 */
export type InsertRow = readonly [
  string,
  string,
  number,
  string,
  string,
  string,
  string,
  string | null,
  Uint8Array | string | null,
];

/** The rows of {@link insertSql} for `records`, and the records that are not events (they fail alone). */
export interface InsertBatch {
  /** Row i is records[indices[i]]. */
  readonly rows: readonly InsertRow[];
  readonly indices: readonly number[];
  readonly failures: readonly { readonly index: number; readonly error: SinkError }[];
}

/** The rows of {@link insertSql} for `records`. */
export function insertRows(records: readonly SinkRecord[]): InsertBatch {
  const rows: InsertRow[] = [];
  const indices: number[] = [];
  const failures: { index: number; error: SinkError }[] = [];
  for (const [index, r] of records.entries()) {
    let stored;
    try {
      stored = storedEvent(r);
    } catch (err) {
      failures.push({ index, error: new SinkError(`not an event: ${(err as Error).message}`, "permanent") });
      continue;
    }
    const { event } = stored;
    indices.push(index);
    rows.push([
      event.id,
      r.topic,
      r.partition,
      r.offset,
      event.time ?? new Date(r.timestamp).toISOString(),
      event.type,
      event.source,
      event.datacontenttype ?? null,
      // Absent data is SQL NULL; JSON null data stays a JSON null payload.
      stored.dataJson ?? (event.data === undefined ? null : JSON.stringify(payload(event.data))),
    ]);
  }
  return { rows, indices, failures };
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** What `payload` stores: JSON data as JSON, text as a JSON string, bytes as {"data_base64": "…"}. */
export function payload(data: unknown): unknown {
  return data instanceof Uint8Array ? { data_base64: toBase64(data) } : data;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The row with its payload bytes as text, for the INSERT's JSON parameter. Bytes that are not UTF-8 throw
 * what PostgreSQL answers a COPY of them with (SQLSTATE 22021), so both paths fail such a row alike.
 */
function asText(row: InsertRow): InsertRow {
  const data = row[8];
  if (!(data instanceof Uint8Array)) return row;
  try {
    return [...row.slice(0, 8), strictUtf8.decode(data)] as unknown as InsertRow;
  } catch {
    throw Object.assign(new Error("invalid byte sequence for encoding UTF8"), { code: "22021" });
  }
}

/** True for SQLSTATEs that blame the row rather than the connection or server. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

function describe(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return `${e?.message ?? String(err)}${e?.code ? ` (SQLSTATE ${e.code})` : ""}`;
}

/** Creates the PostgreSQL sink. */
export function createPostgresSink(config: PostgresSinkConfig, deps: PostgresSinkDeps): Sink {
  const pool = new pg.Pool({
    connectionString: config.POSTGRES_URL,
    max: config.POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: config.POSTGRES_TIMEOUT,
    statement_timeout: config.POSTGRES_TIMEOUT,
    query_timeout: config.POSTGRES_TIMEOUT + 1_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on(
    "error",
    (err: Error) => deps.log.warn("idle PostgreSQL connection failed", { err: describe(err) }),
  );

  const insertText = insertSql(config.POSTGRES_TABLE);
  const statementName = `kafka_edge_insert_${config.POSTGRES_TABLE}`;

  const copyStatement = copySql(config.POSTGRES_TABLE);
  // Partitions ("topic/partition") whose last COPY met a stored row: they write with the INSERT until a
  // batch of theirs inserts every row.
  const replaying = new Set<string>();

  async function copy(rows: readonly InsertRow[]): Promise<void> {
    const client = await pool.connect();
    // A checked-out connection that drops reports it both to the COPY and as an 'error' event, which the
    // pool listens to only while the connection is idle: unheard, it is an uncaught error ending the process.
    let dropped: Error | undefined;
    const onDropped = (err: Error) => dropped = err;
    client.on("error", onDropped);
    let failed: Error | undefined;
    try {
      const stream = client.query(copyFrom(copyStatement));
      // "finish" comes after PostgreSQL's ReadyForQuery, i.e. once the rows are committed.
      await new Promise<void>((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", reject);
        const data = copyData(rows);
        stream.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      });
      if (stream.rowCount !== rows.length) {
        throw new Error(`COPY stored ${stream.rowCount} of ${rows.length} rows`);
      }
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      client.off("error", onDropped);
      // A connection whose COPY failed is dropped, never handed to the next batch in an unknown state.
      client.release(failed ?? dropped);
    }
  }

  /** Rows inserted: those stored already are skipped. */
  async function insert(rows: readonly InsertRow[]): Promise<number> {
    const values = [JSON.stringify(rows.map(asText))];
    const result = await pool.query({ name: statementName, text: insertText, values });
    return result.rowCount ?? 0;
  }

  async function store(rows: readonly InsertRow[], lane: string): Promise<void> {
    if (!replaying.has(lane)) {
      try {
        return await copy(rows);
      } catch (err) {
        // 23505 (a stored row) or a bad row (class 22): the INSERT skips the former, finds the latter.
        if (!isDataError(err)) throw err;
        replaying.add(lane);
      }
    }
    if (await insert(rows) === rows.length) replaying.delete(lane);
  }

  async function writeBatch(records: readonly SinkRecord[]): Promise<SinkWriteResult> {
    const batch = insertRows(records);
    const failures = [...batch.failures];
    if (batch.indices.length === 0) return { failures };
    const first = records[batch.indices[0]];
    const lane = `${first.topic}/${first.partition}`;
    for (let from = 0; from < batch.rows.length; from += MAX_ROWS_PER_STATEMENT) {
      const rows = batch.rows.slice(from, from + MAX_ROWS_PER_STATEMENT);
      try {
        await store(rows, lane);
        continue;
      } catch (err) {
        if (!isDataError(err)) throw new SinkError(`PostgreSQL insert failed: ${describe(err)}`, "transient");
      }
      // One bad row fails the whole statement; row by row finds it and still stores its neighbours.
      for (let row = from; row < from + rows.length; row++) {
        const index = batch.indices[row];
        try {
          await insert([batch.rows[row]]);
        } catch (err) {
          const kind = isDataError(err) ? "permanent" : "transient";
          failures.push({
            index,
            error: new SinkError(`PostgreSQL rejected the row: ${describe(err)}`, kind),
          });
        }
      }
    }
    return failures.length > 0 ? { failures } : {};
  }

  return {
    name: "postgres",
    reads: "bytes",
    async start() {
      try {
        if (config.POSTGRES_CREATE_TABLE) await pool.query(createTableSql(config.POSTGRES_TABLE));
        const found = await pool.query("SELECT to_regclass($1) AS t", [quoteTable(config.POSTGRES_TABLE)]);
        if (found.rows[0]?.t === null) throw new Error(`table ${config.POSTGRES_TABLE} does not exist`);
      } catch (err) {
        throw new Error(`PostgreSQL sink cannot start: ${describe(err)}`);
      }
    },
    write(records, ctx) {
      // Nothing starts once aborted; a write cut short goes on in the background (a COPY cannot be
      // recalled) and its outcome is dropped: the caller acknowledges nothing of it.
      if (ctx.signal.aborted) return Promise.reject(abortedError(ctx.signal));
      return raceAbort(writeBatch(records), ctx.signal);
    },
    async close() {
      await pool.end();
    },
  };
}
