/**
 * The gateway against a real broker: what it acknowledges is what Kafka stores (key, headers, value, order
 * per key), every content type round-trips, it pushes back when full, answers 503 (never 200) while the
 * broker is down and recovers by itself, and a SIGTERM under load loses no acknowledged event.
 */
import assert from "node:assert/strict";
import { fromKafkaRecord } from "@kafka-edge/lib";
import { ensureCommand, startKafka } from "@kafka-edge/lib/testing";
import { createTopics, readTopic } from "./support/read_topic.ts";
import { spawnGateway, startGateway } from "./support/gateway.ts";

const json = { "content-type": "application/json" };

async function post(url: string, body: string, headers: Record<string, string> = json) {
  const res = await fetch(url, { method: "POST", body, headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

// Every behaviour holds with either client library behind the sender port (KAFKA_CLIENT).
for (const client of ["kafkajs", "platformatic"] as const) {
  Deno.test({
    name: `gateway over a real broker (${client}): acknowledged events are stored exactly as acknowledged`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      await using k = await startKafka({ brokers: 1 });
      await createTopics(k.bootstrap, [
        { topic: "logs", numPartitions: 3 },
        { topic: "ce", numPartitions: 2 },
        { topic: "bridge", numPartitions: 3 },
        { topic: "python", numPartitions: 1 },
        { topic: "shipped", numPartitions: 1 },
      ]);
      const dir = await Deno.makeTempDir();
      await Deno.writeTextFile(
        `${dir}/topics.yaml`,
        "topics:\n  logs: { keyPointer: /user }\n  ce: {}\n  bridge: {}\n  python: {}\n  shipped: {}\n",
      );
      await using gw = await startGateway({
        KAFKA_BROKERS: k.bootstrap,
        KAFKA_CLIENT: client,
        TOPICS_FILE: `${dir}/topics.yaml`,
      });

      await t.step(
        "a batch of 1 000 events: each result's partition/offset holds that event, in order per key",
        async () => {
          const events = Array.from(
            { length: 1000 },
            (_, i) => ({ user: `u${i % 10}`, seq: i, pad: "x".repeat(150) }),
          );
          const res = await post(`${gw.url}/v1/topics/logs/events`, JSON.stringify(events));
          assert.equal(res.status, 200);
          assert.equal(res.body.succeeded, 1000);
          const stored = await readTopic(k.bootstrap, "logs");
          assert.equal(stored.length, 1000);
          const at = new Map(stored.map((r) => [`${r.partition}/${r.offset}`, r]));
          res.body.results.forEach((r: { id: string; partition: number; offset: string }, i: number) => {
            const rec = at.get(`${r.partition}/${r.offset}`);
            assert.ok(rec, `result ${i} points at a stored record`);
            assert.equal(rec.headers.ce_id, r.id);
            assert.equal(rec.value, JSON.stringify(events[i]), "the value is the payload, byte for byte");
            assert.equal(rec.key, events[i].user, "the key comes from the keyPointer");
            assert.equal(rec.headers["content-type"], "application/json");
          });
          const lastSeq = new Map<string, number>();
          for (
            const r of [...stored].sort((a, b) =>
              a.partition - b.partition || Number(a.offset) - Number(b.offset)
            )
          ) {
            const { user, seq } = JSON.parse(r.value!);
            assert.ok((lastSeq.get(user) ?? -1) < seq, `events of ${user} are stored in request order`);
            lastSeq.set(user, seq);
          }
        },
      );

      await t.step(
        "CloudEvents binary and structured modes round-trip as CloudEvents Kafka binary mode",
        async () => {
          const binary = await post(`${gw.url}/v1/topics/ce/events`, '{"user":"keita","action":"login"}', {
            "content-type": "application/json",
            "ce-specversion": "1.0",
            "ce-id": "evt-1",
            "ce-source": "/web",
            "ce-type": "user.login",
            "ce-partitionkey": "keita",
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          });
          assert.equal(binary.status, 200);
          const structured = await post(
            `${gw.url}/v1/topics/ce/events`,
            JSON.stringify({
              specversion: "1.0",
              id: "evt-2",
              source: "/mobile",
              type: "user.logout",
              time: "2026-11-25T10:00:00Z",
              subject: "keita",
              data: { user: "keita", action: "logout" },
            }),
            { "content-type": "application/cloudevents+json" },
          );
          assert.equal(structured.status, 200);
          const stored = await readTopic(k.bootstrap, "ce");
          const byId = new Map(stored.map((r) => [r.headers.ce_id, r]));
          const one = byId.get("evt-1")!;
          assert.equal(one.key, "keita", "partitionkey becomes the Kafka key");
          assert.equal(one.headers.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
          const two = byId.get("evt-2")!;
          for (
            const [rec, attrs] of [[one, { id: "evt-1", source: "/web", type: "user.login" }], [two, {
              id: "evt-2",
              source: "/mobile",
              type: "user.logout",
              subject: "keita",
            }]] as const
          ) {
            const decoded = fromKafkaRecord({
              key: rec.key,
              value: new TextEncoder().encode(rec.value ?? ""),
              headers: rec.headers,
            });
            assert.ok(decoded.ok, "a CloudEvents consumer can decode what the gateway wrote");
            for (const [name, value] of Object.entries(attrs)) {
              assert.equal((decoded.envelope as unknown as Record<string, unknown>)[name], value, name);
            }
          }
          assert.deepEqual(JSON.parse(two.value!), { user: "keita", action: "logout" });
        },
      );

      await t.step(
        "a gzip-compressed NDJSON body, as a log shipper sends it, is stored decoded",
        async () => {
          const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ level: "info", n: i }));
          const gzip = new Blob([lines.join("\n")]).stream().pipeThrough(new CompressionStream("gzip"));
          const res = await fetch(`${gw.url}/v1/topics/shipped/events`, {
            method: "POST",
            body: new Uint8Array(await new Response(gzip).arrayBuffer()),
            headers: { "content-type": "application/x-ndjson", "content-encoding": "gzip" },
          });
          assert.equal(res.status, 200, await res.clone().text());
          assert.equal((await res.json()).succeeded, 200);
          const stored = await readTopic(k.bootstrap, "shipped");
          assert.deepEqual(stored.map((r) => r.value), lines, "each line, decoded, in order");
        },
      );

      await t.step("the Strimzi-bridge route stores key, partition and headers per record", async () => {
        const res = await post(
          `${gw.url}/topics/bridge`,
          JSON.stringify({
            records: [
              { key: "k1", value: { n: 1 }, headers: [{ key: "origin", value: btoa("bridge-client") }] },
              { value: { n: 2 }, partition: 2 },
            ],
          }),
          { "content-type": "application/vnd.kafka.json.v2+json" },
        );
        assert.equal(res.status, 200);
        assert.equal(res.body.offsets.length, 2);
        assert.equal(res.body.offsets[1].partition, 2);
        const stored = await readTopic(k.bootstrap, "bridge");
        const first = stored.find((r) => r.value === '{"n":1}')!;
        assert.equal(first.key, '"k1"', "json-format keys are JSON text, as the bridge writes them");
        assert.equal(first.headers.origin, "bridge-client");
        assert.equal(stored.find((r) => r.value === '{"n":2}')!.partition, 2);
      });

      await t.step(
        "a Python consumer (Debian's python3-kafka, as in the article) reads what the gateway wrote",
        async () => {
          await ensureCommand("/usr/bin/python3", "python3");
          const probe = await new Deno.Command("/usr/bin/python3", {
            args: ["-c", "import kafka"],
            stderr: "null",
          }).output();
          if (!probe.success) await ensureAptPackage("python3-kafka");
          const res = await post(`${gw.url}/v1/topics/python/events`, '{"user":"keita","action":"login"}');
          assert.equal(res.status, 200);
          const script = `
import json, sys
from kafka import KafkaConsumer
consumer = KafkaConsumer('python', bootstrap_servers=sys.argv[1], group_id='logger-group',
    auto_offset_reset='earliest', consumer_timeout_ms=20000,
    value_deserializer=lambda m: json.loads(m.decode('utf-8')))
for message in consumer:
    log = message.value
    print(f"[LOG] User: {log['user']}, Action: {log['action']}")
    break
consumer.close()
`;
          const out = await new Deno.Command("/usr/bin/python3", {
            args: ["-c", script, k.bootstrap],
            stdout: "piped",
            stderr: "piped",
          }).output();
          const stdout = new TextDecoder().decode(out.stdout);
          assert.ok(out.success, new TextDecoder().decode(out.stderr));
          assert.equal(stdout.trim(), "[LOG] User: keita, Action: login");
        },
      );
    },
  });

  Deno.test({
    name:
      `gateway (${client}) pushes back with 429 when its buffer is full and acknowledges only what Kafka stored`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using k = await startKafka({ brokers: 1 });
      await createTopics(k.bootstrap, [{ topic: "logs", numPartitions: 1 }]);
      await using gw = await startGateway({
        KAFKA_BROKERS: k.bootstrap,
        KAFKA_CLIENT: client,
        TOPICS: "logs",
        BUFFER_BYTES: "131072",
        MAX_BODY_BYTES: "65536",
      });
      const body = (n: number) =>
        JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ n, i, pad: "p".repeat(2000) })));
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, n) => post(`${gw.url}/v1/topics/logs/events`, body(n))),
      );
      const busy = answers.filter((a) => a.status === 429);
      const ok = answers.filter((a) => a.status === 200);
      assert.ok(busy.length > 0, "some requests find the buffer full");
      assert.ok(ok.length > 0, "the others are acknowledged");
      assert.equal(busy.length + ok.length, 40, `only 200 or 429: ${answers.map((a) => a.status)}`);
      for (const b of busy) assert.ok(Number(b.headers.get("retry-after")) >= 1);
      const stored = await readTopic(k.bootstrap, "logs");
      assert.equal(stored.length, ok.length * 20, "exactly the acknowledged requests are in Kafka");
    },
  });

  Deno.test({
    name:
      `gateway (${client}) answers 503 (never 200) while the broker is down and recovers without a restart`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using k = await startKafka({ brokers: 1 });
      await createTopics(k.bootstrap, [{ topic: "logs", numPartitions: 1 }]);
      await using gw = await startGateway({
        KAFKA_BROKERS: k.bootstrap,
        KAFKA_CLIENT: client,
        TOPICS: "logs",
        METADATA_REFRESH: "300ms",
        METADATA_STALE_AFTER: "1500ms",
        REQUEST_TIMEOUT: "3s",
        KAFKA_CONNECTION_TIMEOUT: "500ms",
        KAFKA_REQUEST_TIMEOUT: "2s",
      });
      assert.equal((await post(`${gw.url}/v1/topics/logs/events`, '{"before":1}')).status, 200);
      await k.stop(1);
      const deadline = Date.now() + 30_000;
      while (
        (await fetch(`${gw.url}/readyz`).then(async (r) => (await r.body?.cancel(), r.status))) !== 503
      ) {
        assert.ok(Date.now() < deadline, "readyz turns 503 once the broker is gone");
        await new Promise((r) => setTimeout(r, 200));
      }
      const down = await post(`${gw.url}/v1/topics/logs/events`, '{"during":1}');
      assert.equal(down.status, 503);
      assert.ok(Number(down.headers.get("retry-after")) >= 1);
      assert.equal(down.body.error.code, "service_unavailable");

      await k.restart(1);
      const back = Date.now() + 60_000;
      let status = 0;
      while (status !== 200) {
        assert.ok(Date.now() < back, `the gateway recovers by itself (last status ${status})`);
        await new Promise((r) => setTimeout(r, 300));
        status = (await post(`${gw.url}/v1/topics/logs/events`, '{"after":1}')).status;
      }
      const values = (await readTopic(k.bootstrap, "logs")).map((r) => r.value);
      assert.ok(values.includes('{"before":1}') && values.includes('{"after":1}'));
    },
  });

  Deno.test({
    name: `gateway (${client}) SIGTERM under load: exit 0, and every 200 is in Kafka`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using k = await startKafka({ brokers: 1 });
      await createTopics(k.bootstrap, [{ topic: "logs", numPartitions: 3 }]);
      await using gw = await spawnGateway({
        KAFKA_BROKERS: k.bootstrap,
        KAFKA_CLIENT: client,
        TOPICS: "logs",
        LINGER: "20ms",
      });
      const acked: string[] = [];
      const statuses = new Map<string, number>();
      let sent = 0;
      let sigtermSent = false;
      async function loop(worker: number) {
        for (let i = 0; i < 200; i++) {
          if (sigtermSent && i > 0 && statuses.get("refused")) return;
          const id = `w${worker}-${i}`;
          sent++;
          try {
            const res = await fetch(`${gw.url}/v1/topics/logs/events`, {
              method: "POST",
              body: JSON.stringify({ id, worker, i }),
              headers: { ...json, "idempotency-key": id },
            });
            const body = await res.json();
            statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
            if (res.status === 200) acked.push(body.results[0].id);
          } catch {
            statuses.set("refused", (statuses.get("refused") ?? 0) + 1);
            return;
          }
        }
      }
      const loops = Array.from({ length: 8 }, (_, w) => loop(w));
      while (acked.length < 100) await new Promise((r) => setTimeout(r, 5));
      gw.child.kill("SIGTERM");
      sigtermSent = true;
      const [status] = await Promise.all([gw.child.status, ...loops]);
      console.log(
        `sent ${sent}, acknowledged ${acked.length}, statuses ${
          JSON.stringify(Object.fromEntries(statuses))
        }`,
      );
      assert.equal(status.code, 0, `clean exit after SIGTERM\n${gw.output().slice(-2000)}`);
      for (const code of statuses.keys()) {
        assert.ok(["200", "503", "refused"].includes(code), `status ${code}`);
      }
      const stored = new Set((await readTopic(k.bootstrap, "logs")).map((r) => r.headers.ce_id));
      const lost = acked.filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], "no acknowledged event is lost");
      assert.ok(acked.length >= 100 && sent > acked.length - 1);
    },
  });
}

async function ensureAptPackage(pkg: string): Promise<void> {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await new Deno.Command("apt-get", { args: ["update", "-q"], env, stdout: "null", stderr: "null" }).output();
  const out = await new Deno.Command("apt-get", {
    args: ["install", "-y", "-q", "--no-install-recommends", pkg],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`apt-get install ${pkg} failed: ${new TextDecoder().decode(out.stderr)}`);
}
