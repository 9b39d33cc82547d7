/**
 * THE sink contract: every Sink implementation passes these cases against its real backend.
 *
 * To add a sink, append one entry to CONTRACT_SINKS (import what it needs at the top):
 *
 *   {
 *     name: "webhook",
 *     async setup() {
 *       const server = await startReceiver();            // whatever real backend the sink talks to
 *       const sink = createWebhookSink({ url: server.url });
 *       return {
 *         sink,
 *         readBack: () => server.receivedIds(),          // CloudEvent ids stored, duplicates included
 *         breakIt: () => server.close(),                 // optional: make the backend unavailable
 *         teardown: () => server.close(),                // must tolerate breakIt() having run
 *       };
 *     },
 *   },
 *
 * The suite calls start() itself and close() as its last case; teardown only frees the backend.
 * Records are built by test_support.ts the way the runtime builds them (binary-mode CloudEvents and
 * raw bytes decoded by lib/envelope); each case uses its own ids, so readBack may return everything.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import { createLogger, parseConfig } from "@kafka-edge/lib";
import { startOpenSearch } from "../../lib/testing/opensearch.ts";
import { startPostgres } from "../../lib/testing/postgres.ts";
import { startS3 } from "../../lib/testing/s3.ts";
import { type Sink, SinkError, type SinkRecord, type SinkWriteResult } from "../core/sink.ts";
import { createNoopSink } from "./noop.ts";
import { createOpenSearchSink } from "./opensearch.ts";
import { createPostgresSink, postgresSinkSpec } from "./postgres.ts";
import { createS3Sink } from "./s3.ts";
import { createStdoutSink, stdoutSinkSpec } from "./stdout.ts";
import { createWebhookSink, webhookSinkSpec } from "./webhook.ts";
import { jsonBatch, jsonRecord, positionId, rawRecord } from "./test_support.ts";

/** A started backend plus the sink under test. */
export interface ContractSubject {
  readonly sink: Sink;
  /** Ids (CloudEvent `id`) of every event stored so far, one entry per stored copy. */
  readBack(): Promise<readonly string[]>;
  /** Makes the backend unavailable (stop the server); the outage case is skipped without it. */
  breakIt?(): Promise<void>;
  /** Stops the backend and frees test clients; runs even when a case failed. */
  teardown(): Promise<void>;
}

/** One sink implementation under contract. */
export interface ContractEntry {
  readonly name: string;
  setup(): Promise<ContractSubject>;
  /**
   * "idempotent" (default): a replayed record is stored once (keys, ids, object names). "repeated": the
   * destination cannot dedupe (a terminal, an HTTP receiver), so a replay is delivered again, carrying the
   * same event id for the receiver to dedupe on; the suite then checks exactly two copies, never zero.
   */
  readonly replays?: "idempotent" | "repeated";
  /** Deno's leak checks; leave on unless a client library leaks something the sink cannot free. */
  readonly sanitizeOps?: boolean;
  readonly sanitizeResources?: boolean;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => done ??= fn();
}

async function s3Entry(): Promise<ContractSubject> {
  const server = await startS3({ bucket: "contract" });
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  const stop = once(() => server.close());
  return {
    sink: createS3Sink({
      bucket: "contract",
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      prefix: "events/",
      requestTimeoutMs: 10_000,
    }),
    async readBack() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: "contract", Prefix: "events/" }));
      assert.equal(listed.IsTruncated, false, "more objects than one listing page");
      const ids: string[] = [];
      for (const object of listed.Contents ?? []) {
        const got = await client.send(new GetObjectCommand({ Bucket: "contract", Key: object.Key }));
        const text = new TextDecoder().decode(gunzipSync(await got.Body!.transformToByteArray()));
        for (const line of text.split("\n").filter((l) => l !== "")) ids.push(JSON.parse(line).id);
      }
      return ids;
    },
    breakIt: stop,
    async teardown() {
      client.destroy();
      await stop();
    },
  };
}

async function openSearchEntry(): Promise<ContractSubject> {
  const server = await startOpenSearch();
  const stop = once(() => server.close());
  return {
    sink: createOpenSearchSink({
      url: server.url,
      index: "contract-{topic}-{yyyy.MM.dd}",
      timeoutMs: 10_000,
    }),
    async readBack() {
      const refresh = await fetch(`${server.url}/contract-*/_refresh`, { method: "POST" });
      assert.ok(refresh.ok, await refresh.text());
      const search = await fetch(`${server.url}/contract-*/_search?size=1000`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ _source: ["id"], query: { match_all: {} } }),
      });
      const body = await search.json();
      assert.ok(search.ok, JSON.stringify(body));
      return body.hits.hits.map((hit: { _source: { id: string } }) => hit._source.id);
    },
    breakIt: stop,
    teardown: stop,
  };
}

async function postgresEntry(): Promise<ContractSubject> {
  const server = await startPostgres();
  const db = new pg.Client({ connectionString: server.url });
  db.on("error", () => {}); // breakIt stops the server under this client on purpose
  await db.connect();
  const stop = once(() => server.close());
  return {
    sink: createPostgresSink(
      parseConfig(postgresSinkSpec, {
        POSTGRES_URL: server.url,
        POSTGRES_TABLE: "contract_events",
        POSTGRES_TIMEOUT: "3s",
      }),
      { log: createLogger({ level: "error", sink: () => {} }) },
    ),
    async readBack() {
      const { rows } = await db.query("SELECT id FROM contract_events");
      return rows.map((row: { id: string }) => row.id);
    },
    breakIt: async () => {
      await db.end().catch(() => {});
      await stop();
    },
    async teardown() {
      await db.end().catch(() => {});
      await stop();
    },
  };
}

function webhookEntry(): Promise<ContractSubject> {
  const received: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const event = await req.json();
    received.push(event.id);
    return new Response(null, { status: 204 });
  });
  const stop = once(() => server.shutdown());
  return Promise.resolve({
    sink: createWebhookSink(
      parseConfig(webhookSinkSpec, {
        WEBHOOK_URL: `http://127.0.0.1:${server.addr.port}/hook`,
        WEBHOOK_SECRET: "contract-secret",
        WEBHOOK_TIMEOUT: "2s",
      }),
      { now: () => Date.now() },
    ),
    readBack: () => Promise.resolve([...received]),
    breakIt: stop,
    teardown: stop,
  });
}

function stdoutEntry(): Promise<ContractSubject> {
  const lines: string[] = [];
  let broken = false;
  const sink = createStdoutSink(parseConfig(stdoutSinkSpec, { STDOUT_FORMAT: "json" }), {
    write(bytes) {
      // What a closed pipe (EPIPE) looks like to the sink.
      if (broken) return Promise.reject(new Error("Broken pipe (os error 32)"));
      lines.push(...new TextDecoder().decode(bytes).split("\n").filter((line) => line !== ""));
      return Promise.resolve();
    },
  });
  return Promise.resolve({
    sink,
    readBack: () => Promise.resolve(lines.map((line) => JSON.parse(line).id)),
    breakIt: () => {
      broken = true;
      return Promise.resolve();
    },
    teardown: () => Promise.resolve(),
  });
}

function noopEntry(): Promise<ContractSubject> {
  const acknowledged: string[] = [];
  // The noop sink stores nothing; what it acknowledged stands in for "stored" so the cases still apply.
  const sink = createNoopSink({ observe: (records) => acknowledged.push(...records.map((r) => r.event.id)) });
  return Promise.resolve({
    sink,
    readBack: () => Promise.resolve([...acknowledged]),
    teardown: () => Promise.resolve(),
  });
}

/** Every sink under contract; add yours here (see the top of this file). */
export const CONTRACT_SINKS: readonly ContractEntry[] = [
  { name: "s3", setup: s3Entry },
  { name: "opensearch", setup: openSearchEntry },
  { name: "postgres", setup: postgresEntry, sanitizeOps: false, sanitizeResources: false },
  { name: "webhook", setup: webhookEntry, replays: "repeated" },
  { name: "stdout", setup: stdoutEntry, replays: "repeated" },
  { name: "noop", setup: noopEntry, replays: "repeated" },
];

const TOPIC = "contract";
const PROMPT_MS = 2_000;

/** Rejects when `promise` has not settled within `ms`, so a hanging sink fails instead of stalling CI. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function live(): { signal: AbortSignal } {
  return { signal: new AbortController().signal };
}

function failedIndexes(result: SinkWriteResult): number[] {
  return (result.failures ?? []).map((failure) => failure.index);
}

function countOf(ids: readonly string[], id: string): number {
  return ids.filter((stored) => stored === id).length;
}

async function assertStored(
  subject: ContractSubject,
  records: readonly SinkRecord[],
  copies = 1,
): Promise<void> {
  const ids = await within(30_000, "readBack", subject.readBack());
  for (const record of records) {
    assert.equal(
      countOf(ids, record.event.id),
      copies,
      `event ${record.event.id} stored ${countOf(ids, record.event.id)} times, expected ${copies}`,
    );
  }
}

type Outcome = { ok: true; result: SinkWriteResult } | { ok: false; error: unknown };

function settle(write: Promise<SinkWriteResult>): Promise<Outcome> {
  return write.then((result) => ({ ok: true, result }), (error: unknown) => ({ ok: false, error }));
}

/** Not acknowledged = the write rejected, or it reported every record as failed. */
function assertNothingAcknowledged(outcome: Outcome, count: number): void {
  if (!outcome.ok) return;
  assert.deepEqual(
    failedIndexes(outcome.result).toSorted(),
    Array.from({ length: count }, (_, i) => i),
    `write acknowledged records: ${JSON.stringify(outcome.result)}`,
  );
}

function isTransient(err: unknown): boolean {
  return !(err instanceof SinkError) || err.kind === "transient";
}

for (const entry of CONTRACT_SINKS) {
  Deno.test({
    name: `sink contract: ${entry.name}`,
    sanitizeOps: entry.sanitizeOps ?? true,
    sanitizeResources: entry.sanitizeResources ?? true,
    async fn(t) {
      const subject = await entry.setup();
      const { sink } = subject;
      let closed = false;
      try {
        await t.step("start() succeeds against a healthy backend", async () => {
          await within(60_000, "start()", sink.start());
        });

        const batch = jsonBatch(TOPIC, "stored", 0, 5);
        await t.step("a written batch resolves without failures and is readable back", async () => {
          const result = await within(30_000, "write()", sink.write(batch, live()));
          assert.deepEqual(failedIndexes(result), []);
          await assertStored(subject, batch);
        });

        const repeated = entry.replays === "repeated";
        await t.step(
          repeated
            ? "writing the same batch again delivers each event again with the same id"
            : "writing the same batch again stores no duplicates",
          async () => {
            const result = await within(30_000, "write()", sink.write(batch, live()));
            assert.deepEqual(failedIndexes(result), []);
            await assertStored(subject, batch, repeated ? 2 : 1);
          },
        );

        await t.step("an empty batch is a no-op", async () => {
          const before = (await subject.readBack()).length;
          const result = await within(30_000, "write([])", sink.write([], live()));
          assert.deepEqual(failedIndexes(result), []);
          assert.equal((await subject.readBack()).length, before);
        });

        await t.step("raw-byte payloads are stored or reported as permanent failures", async () => {
          const places = [{ topic: TOPIC, offset: 10 }, { topic: TOPIC, offset: 11 }];
          const records = [
            rawRecord(places[0], new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x0a])),
            rawRecord(places[1], new TextEncoder().encode("not json\nline two")),
            jsonRecord({ topic: TOPIC, offset: 12 }, "beside-raw-12", { fine: true }),
          ];
          const result = await within(30_000, "write()", sink.write(records, live()));
          const ids = await subject.readBack();
          for (const failure of result.failures ?? []) {
            assert.equal(failure.error.kind, "permanent", failure.error.message);
          }
          places.forEach((place, index) => {
            const failed = failedIndexes(result).includes(index);
            assert.ok(
              failed || countOf(ids, positionId(place)) === 1,
              `raw record ${index} neither stored nor failed`,
            );
          });
          assert.ok(!failedIndexes(result).includes(2), "the JSON record beside raw ones must not fail");
          assert.equal(countOf(ids, "beside-raw-12"), 1);
        });

        await t.step("an already-aborted signal acknowledges nothing, promptly", async () => {
          const controller = new AbortController();
          controller.abort(new Error("shutdown"));
          const records = jsonBatch(TOPIC, "aborted", 20, 3);
          const outcome = await within(PROMPT_MS, "aborted write()", settle(sink.write(records, controller)));
          assertNothingAcknowledged(outcome, records.length);
        });

        await t.step("aborting during write() settles it promptly without a false ack", async () => {
          const controller = new AbortController();
          const records = jsonBatch(TOPIC, "abort-midway", 25, 3);
          const pending = sink.write(records, controller);
          controller.abort(new Error("partition revoked"));
          const outcome = await within(PROMPT_MS, "write() after abort", settle(pending));
          // A record counts as acknowledged unless the write rejected or reported it: those must be stored.
          if (outcome.ok) {
            const failed = failedIndexes(outcome.result);
            await assertStored(subject, records.filter((_, i) => !failed.includes(i)));
          }
        });

        if (subject.breakIt) {
          await t.step("a backend outage fails write() as transient instead of acknowledging", async () => {
            await subject.breakIt!();
            const records = jsonBatch(TOPIC, "outage", 30, 3);
            const outcome = await within(
              60_000,
              "write() during outage",
              settle(sink.write(records, live())),
            );
            assertNothingAcknowledged(outcome, records.length);
            const errors = outcome.ok ? outcome.result.failures!.map((f) => f.error) : [outcome.error];
            for (const error of errors) {
              assert.ok(isTransient(error), `outage reported as permanent: ${(error as Error).message}`);
            }
          });
        }

        await t.step("close() resolves and releases the sink's resources", async () => {
          closed = true;
          await within(30_000, "close()", sink.close());
        });
      } finally {
        // A failed case must not also leak the sink's resources into the report.
        if (!closed) await sink.close().catch(() => {});
        await subject.teardown();
      }
    },
  });
}
