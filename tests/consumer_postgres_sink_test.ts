/** The PostgreSQL sink against a real PostgreSQL server. */
import assert from "node:assert/strict";
import pg from "pg";
import { createLogger, parseConfig } from "@kafka-edge/lib";
import { startPostgres } from "../lib/testing/postgres.ts";
import type { SinkRecord } from "../consumer/core/sink.ts";
import { prepareRecord } from "../consumer/core/prepare.ts";
import type { ConsumedRecord } from "../consumer/core/types.ts";
import { createPostgresSink, postgresSinkSpec } from "../consumer/sinks/postgres.ts";

function record(n: number, data: unknown = { n }): SinkRecord {
  return {
    topic: "events",
    partition: 1,
    offset: String(n),
    timestamp: Date.UTC(2024, 4, 1),
    key: null,
    value: null,
    headers: {},
    event: { id: `events-1-${n}`, source: "/kafka/events", type: "kafka-edge.raw", specversion: "1.0", data },
  };
}

const ctx = () => ({ signal: new AbortController().signal });

const utf8 = new TextEncoder();

/** A record as the runtime hands it to a `reads: "bytes"` sink: undecoded. */
function consumed(
  offset: number,
  value: string | Uint8Array | null,
  headers: Record<string, string> = {},
  partition = 0,
): SinkRecord {
  const record: ConsumedRecord = {
    topic: "raw",
    partition,
    offset: String(offset),
    timestamp: String(Date.UTC(2024, 4, 2)),
    key: null,
    value: typeof value === "string" ? utf8.encode(value) : value,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, utf8.encode(v)])),
  };
  const prepared = prepareRecord(record, {}, "bytes");
  assert.equal(prepared.kind, "deliver");
  return (prepared as { record: SinkRecord }).record;
}

const binary = (id: string, extra: Record<string, string> = {}) => ({
  ce_specversion: "1.0",
  ce_id: id,
  ce_source: "/app",
  ce_type: "user.login",
  ce_time: "2024-05-01T12:00:00.123Z",
  "content-type": "application/json",
  ...extra,
});

Deno.test({
  name: "PostgreSQL sink on a real server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startPostgres();
    const db = new pg.Client({ connectionString: server.url });
    // The server is stopped on purpose below; an unhandled client error would crash the test runner.
    db.on("error", () => {});
    const log = createLogger({ level: "error", sink: () => {} });
    const sink = createPostgresSink(
      parseConfig(postgresSinkSpec, {
        POSTGRES_URL: server.url,
        POSTGRES_TABLE: "public.events",
        POSTGRES_TIMEOUT: "3s",
      }),
      { log },
    );
    try {
      await sink.start();
      await db.connect();

      await t.step(
        "creates the table and stores a batch in one statement, payload by data kind",
        async () => {
          assert.deepEqual(
            await sink.write(
              [record(0), record(1), record(2, "text"), record(3, new Uint8Array([1, 2])), record(40, null), {
                ...record(41),
                event: { ...record(41).event, data: undefined },
              }],
              ctx(),
            ),
            {},
          );
          const rows = (await db.query(
            'SELECT id, topic, partition, "offset", time, payload FROM events ORDER BY "offset"',
          )).rows;
          assert.equal(rows.length, 6);
          assert.deepEqual(rows[0], {
            id: "events-1-0",
            topic: "events",
            partition: 1,
            offset: "0",
            time: new Date(Date.UTC(2024, 4, 1)),
            payload: { n: 0 },
          });
          assert.equal(rows[2].payload, "text");
          assert.deepEqual(rows[3].payload, { data_base64: "AQI=" });
          // JSON null data is a JSON null payload; no data at all is SQL NULL.
          const nulls = (await db.query(
            `SELECT "offset", payload IS NULL AS sql_null, jsonb_typeof(payload) AS kind FROM events
           WHERE "offset" >= 40 ORDER BY "offset"`,
          )).rows;
          assert.deepEqual(nulls, [{ offset: "40", sql_null: false, kind: "null" }, {
            offset: "41",
            sql_null: true,
            kind: null,
          }]);
        },
      );

      await t.step("replays insert nothing twice", async () => {
        assert.deepEqual(await sink.write([record(1), record(2), record(4)], ctx()), {});
        assert.equal(Number((await db.query("SELECT count(*) AS c FROM events")).rows[0].c), 7);
      });

      await t.step("a row PostgreSQL rejects is a permanent failure of that record alone", async () => {
        const result = await sink.write([record(5), record(6, { s: "nul\u0000byte" }), record(7)], ctx());
        assert.deepEqual(result.failures!.map((f) => [f.index, f.error.kind]), [[1, "permanent"]]);
        assert.match(result.failures![0].error.message, /SQLSTATE 22/);
        const ids = (await db.query('SELECT id FROM events WHERE "offset" BETWEEN 5 AND 7 ORDER BY id')).rows
          .map((
            r: { id: string },
          ) => r.id);
        assert.deepEqual(ids, ["events-1-5", "events-1-7"]);
      });

      await t.step(
        "undecoded records: JSON data stored as PostgreSQL parses it, the rest as decoded",
        async () => {
          const big = '{"n": 12345678901234567890123, "s": "é\\u00e9", "nested": {"a": [1, 2.50, null]}}';
          const result = await sink.write([
            consumed(0, big, binary("b-0")),
            consumed(1, "[1,", binary("b-1")), // JSON content type, not JSON: its row fails alone
            consumed(2, '{"user":"keita"}'), // plain JSON: synthesized attributes
            consumed(3, "", binary("b-3")), // binary mode without data: SQL NULL
            consumed(4, '{"x":1}', binary("b-4", { ce_time: "yesterday" })), // not an event: fails alone
            consumed(5, '{"x":1}]::jsonb[], null); DROP TABLE events; --', binary("b-5")),
            consumed(6, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), binary("b-6")), // not UTF-8
          ], ctx());
          assert.deepEqual(result.failures!.map((f) => [f.index, f.error.kind]), [
            [4, "permanent"],
            [1, "permanent"],
            [5, "permanent"],
            [6, "permanent"],
          ]);
          assert.match(result.failures![3].error.message, /SQLSTATE 22021/);
          assert.match(result.failures![0].error.message, /not an event: invalid_envelope/);
          assert.match(result.failures![1].error.message, /SQLSTATE 22P02/);
          const rows = (await db.query(
            `SELECT id, "offset", time, type, source, datacontenttype, payload::text AS payload FROM events
           WHERE topic = 'raw' ORDER BY "offset"`,
          )).rows;
          assert.deepEqual(rows, [
            {
              id: "b-0",
              offset: "0",
              time: new Date("2024-05-01T12:00:00.123Z"),
              type: "user.login",
              source: "/app",
              datacontenttype: "application/json",
              // jsonb keeps every digit, which JSON.parse would have rounded.
              payload: '{"n": 12345678901234567890123, "s": "éé", "nested": {"a": [1, 2.50, null]}}',
            },
            {
              id: "raw-0-2",
              offset: "2",
              time: new Date(Date.UTC(2024, 4, 2)),
              type: "kafka-edge.raw",
              source: "/kafka/raw",
              datacontenttype: "application/json",
              payload: '{"user": "keita"}',
            },
            {
              id: "b-3",
              offset: "3",
              time: new Date("2024-05-01T12:00:00.123Z"),
              type: "user.login",
              source: "/app",
              datacontenttype: "application/json",
              payload: null,
            },
          ]);
          assert.equal(Number((await db.query("SELECT count(*) AS c FROM events")).rows[0].c), 12);
        },
      );

      await t.step(
        "tabs, line breaks and backslashes in attributes and data are stored as sent",
        async () => {
          const data = '{"msg":\n\t"a\\tb\\\\c\\nd",\r\n "path": "C:\\\\x\\\\N", "end": "\\\\."}';
          // One record per batch and partition: a batch that fails as a whole is written again another way
          // (and its partition keeps to it for a while), which would hide text a COPY stored altered.
          for (
            const record of [
              consumed(10, '{"ok":1}', binary("esc-\\N", { ce_type: "a\\b", ce_source: "/x\\y" }), 1),
              consumed(11, data, binary("esc-2"), 2),
              consumed(12, '"\\\\."', binary("esc-3"), 3),
              consumed(13, '["a\\\\b"]', binary("esc-4"), 4), // read unescaped: a valid ["a<backspace>"]
            ]
          ) assert.deepEqual(await sink.write([record], ctx()), {});
          const rows = (await db.query(
            `SELECT id, type, source, payload FROM events WHERE id LIKE 'esc-%' ORDER BY "offset"`,
          )).rows;
          assert.deepEqual(rows, [
            { id: "esc-\\N", type: "a\\b", source: "/x\\y", payload: { ok: 1 } },
            { id: "esc-2", type: "user.login", source: "/app", payload: JSON.parse(data) },
            { id: "esc-3", type: "user.login", source: "/app", payload: "\\." },
            { id: "esc-4", type: "user.login", source: "/app", payload: ["a\\b"] },
          ]);
        },
      );

      await t.step("an id twice in one batch, or already stored, is stored once", async () => {
        const before = Number((await db.query("SELECT count(*) AS c FROM events")).rows[0].c);
        assert.deepEqual(await sink.write([record(20), record(21), record(20), record(22)], ctx()), {});
        // The partition wrote with the INSERT after that; a fresh batch goes back to the COPY.
        assert.deepEqual(await sink.write([record(23), record(24)], ctx()), {});
        assert.deepEqual(await sink.write([record(24), record(25)], ctx()), {});
        assert.deepEqual(await sink.write([record(26)], ctx()), {});
        const ids =
          (await db.query(`SELECT id FROM events WHERE "offset" BETWEEN 20 AND 26 AND topic = 'events'
          ORDER BY "offset"`)).rows.map((r: { id: string }) => r.id);
        assert.deepEqual(ids, [20, 21, 22, 23, 24, 25, 26].map((n) => `events-1-${n}`));
        assert.equal(Number((await db.query("SELECT count(*) AS c FROM events")).rows[0].c), before + 7);
      });

      await t.step(
        "the server stopping mid-COPY fails the write as transient, and nothing crashes",
        async () => {
          // Nothing of the batch may be acknowledged, and the dropped connection must not surface as an
          // uncaught error (it would end the worker).
          const records = Array.from({ length: 50_000 }, (_, i) => record(100_000 + i));
          const pending = sink.write(records, ctx()).then(
            (result) => ({ ok: true as const, result }),
            (error) => ({ ok: false as const, error }),
          );
          // Stop the server while one of the batch's COPY statements is running.
          const copying = () =>
            db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY %'")
              .then((r: { rows: { n: number }[] }) => r.rows[0].n > 0);
          for (let i = 0; i < 5_000 && !await copying(); i++) await new Promise((r) => setTimeout(r, 1));
          await server.stop();
          const outcome = await pending;
          if (outcome.ok) assert.deepEqual(outcome.result, {}, "finished before the stop");
          else assert.equal(outcome.error.kind, "transient", outcome.error.message);
          await server.start();
        },
      );

      await t.step(
        "a stopped server is a transient failure, and writes resume after it is back",
        async () => {
          await server.stop();
          await assert.rejects(
            sink.write([record(8)], ctx()),
            (err: Error & { kind?: string }) => err.kind === "transient",
          );
          await server.start();
          let ok = false;
          for (let i = 0; i < 50 && !ok; i++) {
            try {
              ok = (await sink.write([record(8)], ctx())).failures === undefined;
            } catch {
              await new Promise((r) => setTimeout(r, 200));
            }
          }
          assert.ok(ok, "the pool reconnects");
        },
      );
    } finally {
      await sink.close().catch(() => {});
      await db.end().catch(() => {});
      await server.close();
    }
  },
});
