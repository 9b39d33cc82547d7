/**
 * Round trips against the real servers started by lib/testing: each test talks to its server the
 * way a sink will (real client library, real protocol) and checks that close() frees the port.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { startPostgres } from "../lib/testing/postgres.ts";
import { startOpenSearch } from "../lib/testing/opensearch.ts";
import { startS3 } from "../lib/testing/s3.ts";

async function assertPortClosed(port: number): Promise<void> {
  await assert.rejects(async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
  }, Deno.errors.ConnectionRefused);
}

async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

Deno.test("postgres fixture serves a real PostgreSQL that pg can write to and read from", async (t) => {
  const server = await startPostgres();
  try {
    await t.step("pg connects with the password and round-trips a row", async () => {
      const rows = await withPgClient(server.url, async (client) => {
        await client.query("CREATE TABLE events (id int PRIMARY KEY, payload jsonb NOT NULL)");
        await client.query("INSERT INTO events VALUES ($1, $2)", [1, { topic: "orders" }]);
        return (await client.query("SELECT id, payload FROM events")).rows;
      });
      assert.deepEqual(rows, [{ id: 1, payload: { topic: "orders" } }]);
    });

    await t.step("a wrong password is rejected", async () => {
      const url = new URL(server.url);
      url.password = "wrong";
      await assert.rejects(withPgClient(url.href, (client) => client.query("SELECT 1")), /password/);
    });

    await t.step("stop() then start() keeps the data on the same port", async () => {
      await server.stop();
      await assertPortClosed(server.port);
      await server.start();
      const rows = await withPgClient(
        server.url,
        async (client) => (await client.query("SELECT id FROM events")).rows,
      );
      assert.deepEqual(rows, [{ id: 1 }]);
    });
  } finally {
    await server.close();
  }
  await assertPortClosed(server.port);
});

async function json(response: Response): Promise<Record<string, unknown>> {
  const body = await response.json();
  assert.ok(response.ok, `HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

Deno.test("opensearch fixture serves a real node that indexes, gets and bulk-loads documents", async (t) => {
  const server = await startOpenSearch();
  try {
    await t.step("PUT _doc with refresh, then GET it back", async () => {
      const put = await json(
        await fetch(`${server.url}/events/_doc/1?refresh=true`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ topic: "orders", offset: 7 }),
        }),
      );
      assert.equal(put.result, "created");
      const got = await json(await fetch(`${server.url}/events/_doc/1`));
      assert.deepEqual(got._source, { topic: "orders", offset: 7 });
    });

    await t.step("_bulk indexes NDJSON actions and they become searchable", async () => {
      const ndjson = [
        { index: { _index: "events", _id: "2" } },
        { topic: "orders", offset: 8 },
        { index: { _index: "events", _id: "3" } },
        { topic: "payments", offset: 9 },
      ].map((line) => JSON.stringify(line)).join("\n") + "\n";
      const bulk = await json(
        await fetch(`${server.url}/_bulk?refresh=true`, {
          method: "POST",
          headers: { "content-type": "application/x-ndjson" },
          body: ndjson,
        }),
      );
      assert.equal(bulk.errors, false);
      const count = await json(await fetch(`${server.url}/events/_count`));
      assert.equal(count.count, 3);
    });
  } finally {
    await server.close();
  }
  await assertPortClosed(Number(new URL(server.url).port));
});

Deno.test("s3 fixture serves a real S3 API for SigV4 clients", async (t) => {
  const server = await startS3({ bucket: "sink-bucket" });
  try {
    assert.equal(server.bucket, "sink-bucket");

    await t.step("@aws-sdk/client-s3 puts, lists and gets an object", async () => {
      const client = new S3Client({
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      });
      try {
        await client.send(
          new PutObjectCommand({ Bucket: "sink-bucket", Key: "orders/0001.json", Body: '{"offset":7}' }),
        );
        const listed = await client.send(
          new ListObjectsV2Command({ Bucket: "sink-bucket", Prefix: "orders/" }),
        );
        assert.deepEqual(listed.Contents?.map((object) => object.Key), ["orders/0001.json"]);
        const got = await client.send(
          new GetObjectCommand({ Bucket: "sink-bucket", Key: "orders/0001.json" }),
        );
        assert.equal(await got.Body?.transformToString(), '{"offset":7}');
      } finally {
        client.destroy();
      }
    });

    await t.step("aws4fetch round-trips an object in a bucket made by createBucket()", async () => {
      await server.createBucket("second-bucket");
      const aws = new AwsClient({
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
        region: server.region,
        service: "s3",
      });
      const put = await aws.fetch(`${server.endpoint}/second-bucket/a.txt`, { method: "PUT", body: "hello" });
      assert.equal(put.status, 200, await put.text());
      const list = await aws.fetch(`${server.endpoint}/second-bucket?list-type=2`);
      assert.match(await list.text(), /<Key>a\.txt<\/Key>/);
      const get = await aws.fetch(`${server.endpoint}/second-bucket/a.txt`);
      assert.equal(await get.text(), "hello");
    });

    await t.step("a request signed with a wrong secret is refused", async () => {
      const forged = new AwsClient({
        accessKeyId: server.accessKeyId,
        secretAccessKey: "wrong",
        service: "s3",
      });
      const response = await forged.fetch(`${server.endpoint}/sink-bucket?list-type=2`);
      await response.body?.cancel();
      assert.equal(response.status, 403);
    });
  } finally {
    await server.close();
  }
  await assertPortClosed(Number(new URL(server.endpoint).port));
});
