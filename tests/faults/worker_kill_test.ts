/**
 * Fault: a worker draining a 20 000-event backlog into PostgreSQL is SIGKILLed mid-batch 5 times and
 * restarted each time. At the end the distinct ids in the table equal the distinct ids in the topic: no
 * event lost, every redelivery absorbed by the sink's idempotent insert.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { startKafka } from "@kafka-edge/lib/testing";
import { startPostgres } from "../../lib/testing/postgres.ts";
import { spawnWorker, type WorkerProcess } from "../support/worker_process.ts";
import { createTopics, readTopic } from "../support/read_topic.ts";
import { kafkaClient, sleep } from "./load_client.ts";

const TOTAL = 20_000;
const KILLS = 5;

Deno.test({
  name: "worker SIGKILLed mid-batch 5 times: table ids = topic ids, none lost, duplicates absorbed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t0 = Date.now();
    await using k = await startKafka({ brokers: 1, heapMb: 384 });
    const pgServer = await startPostgres();
    await using _pg = { [Symbol.asyncDispose]: () => pgServer.close() };
    await createTopics(k.bootstrap, [{ topic: "events", numPartitions: 3 }, {
      topic: "events.dlq",
      numPartitions: 1,
    }]);
    const kafka = kafkaClient(k.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    for (let start = 0; start < TOTAL; start += 1000) {
      const messages = Array.from({ length: 1000 }, (_, j) => {
        const n = start + j;
        return {
          key: `k${n % 17}`,
          value: JSON.stringify({ n, pad: "x".repeat(100) }),
          headers: {
            ce_specversion: "1.0",
            ce_id: `ev-${n}`,
            ce_source: "/faults",
            ce_type: "test.event",
            "content-type": "application/json",
          },
        };
      });
      await producer.send({ topic: "events", acks: -1, messages });
    }
    await producer.disconnect();
    const topicIds = new Set((await readTopic(k.bootstrap, "events", 120_000)).map((r) => r.headers.ce_id));
    assert.equal(topicIds.size, TOTAL);

    const db = new pg.Client({ connectionString: pgServer.url });
    await db.connect();
    const rows = async () => {
      const exists = await db.query("SELECT to_regclass('events') AS t");
      if (exists.rows[0].t === null) return 0;
      return Number((await db.query("SELECT count(*) AS c FROM events")).rows[0].c);
    };
    const committed = async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [t] = await admin.fetchOffsets({ groupId: "pg-faults", topics: ["events"] });
        return t.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      } finally {
        await admin.disconnect();
      }
    };
    const env = {
      KAFKA_BROKERS: k.bootstrap,
      GROUP_ID: "pg-faults",
      TOPICS: "events",
      SINK: "postgres",
      POSTGRES_URL: pgServer.url,
      POSTGRES_TABLE: "events",
      DLQ_TOPIC: "events.dlq",
      BATCH_SIZE: "100",
      PARTITIONS_CONCURRENTLY: "3",
    };
    const kills: { rowsAtKill: number; committedAtKill: number }[] = [];
    let worker: WorkerProcess | undefined;
    try {
      for (let n = 0; n < KILLS; n++) {
        worker = spawnWorker(env);
        // Let it store at least ~1 500 more rows than before, then kill it wherever it is in a batch.
        const target = Math.min(TOTAL - 500, (await rows()) + 1_500);
        const deadline = Date.now() + 90_000;
        while ((await rows()) < target && Date.now() < deadline) await sleep(20);
        worker.kill("SIGKILL");
        assert.equal((await worker.status).signal, "SIGKILL");
        kills.push({ rowsAtKill: await rows(), committedAtKill: await committed() });
      }
      worker = spawnWorker(env);
      const until = Date.now() + 120_000;
      while ((await rows()) < TOTAL && Date.now() < until) await sleep(250);
      // Give a wrongly extra row (if any) a moment to show up before counting.
      await sleep(1_000);
      const ids = new Set<string>(
        (await db.query("SELECT id FROM events")).rows.map((r: { id: string }) => r.id),
      );
      const lost = [...topicIds].filter((id) => !ids.has(id));
      const extra = [...ids].filter((id) => !topicIds.has(id));
      // Records stored but not yet committed when the worker died are delivered again after the restart.
      const redelivered = kills.reduce((s, x) => s + Math.max(0, x.rowsAtKill - x.committedAtKill), 0);
      console.log(
        `RESULT worker_kill ${
          JSON.stringify({
            topicIds: topicIds.size,
            tableIds: ids.size,
            lost: lost.length,
            extra: extra.length,
            kills: kills.length,
            rowsAtEachKill: kills.map((x) => x.rowsAtKill),
            duplicatesAbsorbedEstimate: redelivered,
            lostSample: lost.slice(0, 5),
          })
        }`,
      );
      console.log(`worker_kill took ${Math.round((Date.now() - t0) / 1000)} s`);
      assert.ok(kills.every((x) => x.rowsAtKill < TOTAL), "each kill hit the worker mid-backlog");
      assert.deepEqual(lost, [], "every id in the topic is in the table");
      assert.deepEqual(extra, [], "no id in the table that is not in the topic");
      assert.equal(ids.size, topicIds.size);
    } finally {
      worker?.kill("SIGKILL");
      await worker?.status;
      await db.end().catch(() => {});
    }
  },
});
