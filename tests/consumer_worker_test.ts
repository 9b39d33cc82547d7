/**
 * The worker end to end, as a real process against real Kafka (and PostgreSQL, and a local webhook server):
 * the reference article's scenario, kill -9 mid-batch without loss, poison records to the DLQ, webhook
 * signatures and retries, and two workers sharing a group.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { startKafka, waitUntil } from "@kafka-edge/lib/testing";
import { startPostgres } from "../lib/testing/postgres.ts";
import { verifyWebhookSignature } from "../consumer/sinks/webhook.ts";
import { spawnWorker, type WorkerProcess } from "./support/worker_process.ts";

function client(bootstrap: string): Kafka {
  return new Kafka({ clientId: "worker-test", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });
}

async function createTopics(kafka: Kafka, topics: Record<string, number>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.entries(topics).map(([topic, numPartitions]) => ({
      topic,
      numPartitions,
      replicationFactor: 1,
    })),
  });
  await admin.disconnect();
}

async function committed(kafka: Kafka, groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(t.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of `topic` from the beginning with a throwaway group, until `count` arrived. */
async function readAll(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000) {
  const consumer = kafka.consumer({
    groupId: `reader-${crypto.randomUUID()}`,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
  });
  const out: {
    offset: string;
    partition: number;
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
  }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message, partition }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      out.push({
        offset: message.offset,
        partition,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers,
      });
      return Promise.resolve();
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // A moment longer: more than `count` would mean unexpected extra copies.
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return out;
}

async function readiness(worker: WorkerProcess): Promise<{ status: number; assignedPartitions: number }> {
  const res = await fetch(`http://127.0.0.1:${await worker.port}/readyz`);
  const body = await res.json();
  return { status: res.status, assignedPartitions: body.assignedPartitions };
}

async function waitAssigned(workers: WorkerProcess[], expected: number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(
      workers.map(async (w) =>
        (await readiness(w).catch(() => ({ assignedPartitions: -1 }))).assignedPartitions
      ),
    );
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`assignment ${JSON.stringify(last)} never became ${JSON.stringify(expected)}`);
}

type Buffer = Uint8Array;

async function stopWorker(worker: WorkerProcess, timeoutMs = 30_000): Promise<{ code: number; ms: number }> {
  const started = Date.now();
  worker.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    worker.status,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker did not exit within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return { code: status.code, ms: Date.now() - started };
}

Deno.test({
  name: "worker against real Kafka",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using k = await startKafka({ brokers: 1 });
    const kafka = client(k.bootstrap);
    const base = { KAFKA_BROKERS: k.bootstrap };

    await t.step(
      "the article's producer → a logger-group worker prints `[LOG] User: keita, Action: login`",
      async () => {
        await createTopics(kafka, { logs: 1 });
        // The reference article's kafkajs producer, verbatim apart from the broker address.
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({
          topic: "logs",
          messages: [{ value: JSON.stringify({ user: "keita", action: "login" }) }],
        });
        await producer.disconnect();

        const worker = spawnWorker({ ...base, GROUP_ID: "logger-group", TOPICS: "logs", SINK: "stdout" });
        try {
          await worker.waitFor(() => worker.stdout.length > 0, 90_000, "the printed line");
          assert.deepEqual(
            worker.stdout,
            ["[LOG] User: keita, Action: login"],
            "stdout carries only the event line",
          );
          const port = await worker.port;
          const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
          assert.equal(ready.status, 200, await ready.text());
          const live = await fetch(`http://127.0.0.1:${port}/healthz`);
          assert.equal(live.status, 200, await live.text());
          // The line is printed before its offset is committed; the lag gauge follows the commit.
          let metrics = "";
          await waitUntil(
            async () => {
              metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
              return /edge_consumer_partition_lag\{topic="logs",partition="0"\} 0/.test(metrics);
            },
            { timeoutMs: 10_000, intervalMs: 100, what: "partition lag 0 after the commit" },
            () => Promise.resolve(metrics),
          );
          assert.match(metrics, /edge_consumer_records_processed_total\{topic="logs"\} 1/);
          assert.match(metrics, /edge_consumer_partition_lag\{topic="logs",partition="0"\} 0/);
          assert.match(metrics, /edge_consumer_end_to_end_latency_seconds_count\{topic="logs"\} 1/);
        } finally {
          const { code, ms } = await stopWorker(worker);
          assert.equal(code, 0, `SIGTERM exits 0 (took ${ms} ms)`);
        }
        assert.deepEqual(
          await committed(kafka, "logger-group", "logs"),
          { 0: "1" },
          "the offset after the event is committed",
        );
      },
    );

    await t.step(
      "kill -9 mid-stream into PostgreSQL, restart: every event id is in the table exactly once",
      async () => {
        const pgServer = await startPostgres();
        const db = new pg.Client({ connectionString: pgServer.url });
        try {
          await createTopics(kafka, { events: 3, "events.dlq": 1 });
          const total = 15_000;
          const expectedIds = new Set<string>();
          const producer = kafka.producer();
          await producer.connect();
          const poison = { n: -1, text: "bad\u0000byte" }; // JSONB refuses NUL: a permanent, per-row error
          for (let start = 0; start < total; start += 1000) {
            const messages = [];
            for (let n = start; n < start + 1000; n++) {
              // Every third event is a binary-mode CloudEvent with its own id; the rest plain JSON.
              if (n % 3 === 0) {
                messages.push({
                  key: `k${n % 11}`,
                  value: JSON.stringify({ n }),
                  headers: {
                    ce_specversion: "1.0",
                    ce_id: `ce-${n}`,
                    ce_source: "/test",
                    ce_type: "test.event",
                    "content-type": "application/json",
                  },
                });
              } else messages.push({ key: `k${n % 11}`, value: JSON.stringify({ n }) });
            }
            if (start === 5000) messages.push({ key: "poison", value: JSON.stringify(poison) });
            const acks = await producer.send({ topic: "events", acks: -1, messages });
            void acks;
          }
          await producer.disconnect();
          // The ids the worker must store: ce_id for CloudEvents, topic-partition-offset for plain JSON.
          for (const r of await readAll(kafka, "events", total + 1)) {
            const n = JSON.parse(new TextDecoder().decode(r.value!)).n;
            if (n === -1) continue;
            expectedIds.add(r.headers.ce_id ?? `events-${r.partition}-${r.offset}`);
          }
          assert.equal(expectedIds.size, total);

          const env = {
            ...base,
            GROUP_ID: "pg-group",
            TOPICS: "events",
            SINK: "postgres",
            POSTGRES_URL: pgServer.url,
            POSTGRES_TABLE: "events",
            DLQ_TOPIC: "events.dlq",
            BATCH_SIZE: "50",
            PARTITIONS_CONCURRENTLY: "3",
          };
          await db.connect();
          const count = async () => {
            const exists = await db.query("SELECT to_regclass('events') AS t");
            if (exists.rows[0].t === null) return 0;
            return Number((await db.query("SELECT count(*) AS c FROM events")).rows[0].c);
          };
          const first = spawnWorker(env);
          const deadline = Date.now() + 90_000;
          while ((await count()) < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          first.kill("SIGKILL");
          const atKill = await count();
          assert.equal((await first.status).signal, "SIGKILL");
          assert.ok(atKill > 0 && atKill < total, `killed mid-stream (${atKill} of ${total} rows stored)`);

          const second = spawnWorker(env);
          try {
            const until = Date.now() + 120_000;
            while ((await count()) < total && Date.now() < until) {
              await new Promise((r) => setTimeout(r, 200));
            }
            const rows = (await db.query("SELECT id FROM events")).rows.map((r: { id: string }) => r.id);
            assert.equal(rows.length, total, "one row per event");
            assert.deepEqual(rows.filter((id: string) => !expectedIds.has(id)), [], "no unexpected ids");
            await second.waitFor(
              () =>
                second.logs("records dead-lettered").length > 0 ||
                first.logs("records dead-lettered").length > 0,
              30_000,
              "the poison record to be dead-lettered",
            );
            const { code } = await stopWorker(second);
            assert.equal(code, 0);
          } finally {
            second.kill("SIGKILL");
          }
          const committedNow = await committed(kafka, "pg-group", "events");
          const sum = Object.values(committedNow).reduce((n, o) => n + Number(o), 0);
          assert.equal(sum, total + 1, "every offset (poison included) is committed after the restart");
          const dead = await readAll(kafka, "events.dlq", 1);
          assert.ok(dead.length >= 1, "the poison record is in the DLQ");
          for (const d of dead) {
            assert.deepEqual(JSON.parse(new TextDecoder().decode(d.value!)), poison, "original value kept");
            assert.equal(d.key, "poison");
            assert.equal(d.headers["dlq.original.topic"], "events");
            assert.equal(d.headers["dlq.error.kind"], "permanent");
            assert.match(d.headers["dlq.error.message"], /SQLSTATE 22/);
          }
        } finally {
          await db.end().catch(() => {});
          await pgServer.close();
        }
      },
    );

    await t.step(
      "webhook: signed POSTs, 503-then-200 retried, a 400 poison record dead-lettered, no rebalance loop",
      async () => {
        await createTopics(kafka, { orders: 1, "orders.dlq": 1 });
        const secret = "webhook-test-secret";
        const received: { id: string; n: number; signed: boolean }[] = [];
        const attemptsById = new Map<string, number>();
        const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
          const body = await req.text();
          const signed = await verifyWebhookSignature(secret, req.headers, body);
          const event = JSON.parse(body);
          const id = req.headers.get("idempotency-key") ?? "";
          const attempt = (attemptsById.get(id) ?? 0) + 1;
          attemptsById.set(id, attempt);
          if (event.data.kind === "poison") return new Response("unknown order kind", { status: 400 });
          if (event.data.kind === "flaky" && attempt === 1) {
            return new Response("busy", { status: 503, headers: { "retry-after": "0" } });
          }
          received.push({ id, n: event.data.n, signed });
          return new Response(null, { status: 204 });
        });
        const producer = kafka.producer();
        await producer.connect();
        const send = (kind: string, n: number) =>
          producer.send({
            topic: "orders",
            messages: [{ key: `o${n}`, value: JSON.stringify({ kind, n }), headers: { trace: `t${n}` } }],
          });
        for (let n = 0; n < 5; n++) await send("normal", n);
        await send("poison", 5);
        await send("flaky", 6);
        for (let n = 7; n < 10; n++) await send("normal", n);

        const worker = spawnWorker({
          ...base,
          GROUP_ID: "webhook-group",
          TOPICS: "orders",
          SINK: "webhook",
          WEBHOOK_URL: `http://127.0.0.1:${server.addr.port}/hook`,
          WEBHOOK_SECRET: secret,
          DLQ_TOPIC: "orders.dlq",
          RETRY_ATTEMPTS: "3",
          RETRY_INITIAL_BACKOFF: "50ms",
          RETRY_MAX_BACKOFF: "500ms",
        });
        try {
          await worker.waitFor(() => received.length >= 9, 90_000, "nine deliveries");
          for (let n = 10; n < 15; n++) await send("normal", n);
          await worker.waitFor(
            () => received.length >= 14,
            30_000,
            "the partition to keep flowing after the poison record",
          );
          assert.deepEqual(
            received.map((r) => r.n),
            [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14],
            "in order, poison skipped",
          );
          assert.ok(received.every((r) => r.signed), "every request carries a valid HMAC signature");
          assert.equal(attemptsById.get(received[5].id), 2, "the 503 was retried once");
          const metrics = await (await fetch(`http://127.0.0.1:${await worker.port}/metrics`)).text();
          assert.match(metrics, /edge_consumer_records_dead_lettered_total\{topic="orders"\} 1/);
          assert.match(metrics, /edge_consumer_rebalances_total 1\b/, "joined once: no rebalance loop");
          // The 503 counts, plus the records held back behind it to keep their order.
          assert.match(
            metrics,
            /edge_consumer_records_failed_total\{topic="orders",kind="transient"\} [1-9]/,
          );
          const { code } = await stopWorker(worker);
          assert.equal(code, 0);
        } finally {
          worker.kill("SIGKILL");
          await producer.disconnect();
          await server.shutdown();
        }
        assert.deepEqual(await committed(kafka, "webhook-group", "orders"), { 0: "15" });
        const [dead] = await readAll(kafka, "orders.dlq", 1);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(dead.value!)), { kind: "poison", n: 5 });
        assert.equal(dead.key, "o5");
        assert.equal(dead.headers.trace, "t5", "original headers are kept");
        assert.equal(dead.headers["dlq.original.topic"], "orders");
        assert.equal(dead.headers["dlq.original.partition"], "0");
        assert.equal(dead.headers["dlq.original.offset"], "5");
        assert.match(dead.headers["dlq.original.timestamp"], /^\d{13}$/);
        assert.equal(dead.headers["dlq.error.class"], "SinkError");
        assert.equal(dead.headers["dlq.error.kind"], "permanent");
        assert.match(dead.headers["dlq.error.message"], /HTTP 400: unknown order kind/);
        assert.equal(dead.headers["dlq.attempts"], "1");
        assert.equal(dead.headers["dlq.group"], "webhook-group");
      },
    );

    await t.step(
      "a partition blocked mid-batch resumes from its first unsettled record, though the next batch was fetched",
      async () => {
        // Small fetches make many batches, so the batch after the blocked one has been fetched (and the
        // fetch position moved past the blocked record) by the time the block happens.
        await createTopics(kafka, { blocked: 1 });
        const received: number[] = [];
        let refusedUntil = 0;
        const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
          const { data } = JSON.parse(await req.text());
          if (data.n === 150) {
            refusedUntil ||= Date.now() + 1_500;
            if (Date.now() < refusedUntil) return new Response("down", { status: 503 });
          }
          received.push(data.n);
          return new Response(null, { status: 204 });
        });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({
          topic: "blocked",
          messages: Array.from(
            { length: 300 },
            (_, n) => ({ value: JSON.stringify({ n, pad: "x".repeat(100) }) }),
          ),
        });
        const worker = spawnWorker({
          ...base,
          GROUP_ID: "blocked-group",
          TOPICS: "blocked",
          SINK: "webhook",
          WEBHOOK_URL: `http://127.0.0.1:${server.addr.port}/hook`,
          WEBHOOK_SECRET: "s",
          BATCH_SIZE: "10",
          FETCH_MAX_BYTES_PER_PARTITION: "4096",
          RETRY_ATTEMPTS: "2",
          RETRY_INITIAL_BACKOFF: "50ms",
          RETRY_MAX_BACKOFF: "200ms",
          ON_RETRIES_EXHAUSTED: "pause",
        });
        try {
          await worker.waitFor(() => received.length >= 300, 60_000, "all 300 records");
          await new Promise((r) => setTimeout(r, 500)); // anything re-delivered past the block shows up
          assert.deepEqual(received, Array.from({ length: 300 }, (_, n) => n), "each once, in order");
          const metrics = await (await fetch(`http://127.0.0.1:${await worker.port}/metrics`)).text();
          assert.match(
            metrics,
            /edge_consumer_partition_blocks_total\{topic="blocked"\} [1-9]/,
            "it blocked",
          );
          assert.equal((await stopWorker(worker)).code, 0);
        } finally {
          worker.kill("SIGKILL");
          await producer.disconnect();
          await server.shutdown();
        }
        assert.deepEqual(await committed(kafka, "blocked-group", "blocked"), { 0: "300" });
      },
    );

    await t.step(
      "two workers split the partitions; stopping one hands them over and nothing is lost",
      async () => {
        await createTopics(kafka, { split: 4 });
        const env = {
          ...base,
          GROUP_ID: "split-group",
          TOPICS: "split",
          SINK: "stdout",
          STDOUT_TEMPLATE: "{$partition} {/n}",
        };
        const a = spawnWorker(env);
        const b = spawnWorker(env);
        const producer = kafka.producer();
        await producer.connect();
        const produce = async (from: number, to: number) => {
          const messages = [];
          for (let n = from; n < to; n++) messages.push({ key: `k${n}`, value: JSON.stringify({ n }) });
          await producer.send({ topic: "split", acks: -1, messages });
        };
        const seen = () => new Set([...a.stdout, ...b.stdout].map((line) => Number(line.split(" ")[1])));
        try {
          await waitAssigned([a, b], [2, 2], 90_000);
          await produce(0, 400);
          await a.waitFor(() => seen().size === 400, 60_000, "the first 400 events");
          const partitionsOf = (w: WorkerProcess) => new Set(w.stdout.map((l) => l.split(" ")[0]));
          assert.equal(partitionsOf(a).size, 2, "worker a consumed two partitions");
          assert.equal(partitionsOf(b).size, 2, "worker b consumed the other two");
          assert.deepEqual(
            [...partitionsOf(a)].filter((p) => partitionsOf(b).has(p)),
            [],
            "no partition consumed twice",
          );

          const { code } = await stopWorker(b);
          assert.equal(code, 0, "the stopped worker exits 0");
          await waitAssigned([a], [4], 60_000);
          await produce(400, 800);
          await a.waitFor(() => seen().size === 800, 60_000, "all 800 events");
          assert.equal(partitionsOf(a).size, 4, "worker a took over every partition");
          assert.equal([...a.stdout, ...b.stdout].length, 800, "graceful hand-over re-delivers nothing");
        } finally {
          await producer.disconnect();
          for (const w of [a, b]) w.kill("SIGKILL");
        }
      },
    );
  },
});
