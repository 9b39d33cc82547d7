/** The PostgreSQL sink against a real PostgreSQL server. */
import assert from "node:assert/strict";
import pg from "pg";
import { createLogger, parseConfig } from "@kafka-edge/lib";
import { startPostgres } from "../lib/testing/postgres.ts";
import type { SinkRecord } from "../consumer/core/sink.ts";
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
