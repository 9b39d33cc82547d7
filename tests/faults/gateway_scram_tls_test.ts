/**
 * The gateway → Kafka path over SASL_SSL (SCRAM-SHA-512 inside TLS, broker certificate checked against the
 * test CA): events are acknowledged and read back intact. With a wrong password the gateway never becomes
 * ready and answers 503, never 200, and nothing reaches Kafka.
 */
import assert from "node:assert/strict";
import { freePort, startKafka, tiedCommand } from "@kafka-edge/lib/testing";
import { createTopics, readTopic } from "../support/read_topic.ts";
import { spawnGateway } from "../support/gateway.ts";
import { readyz, report, runLoad, sleep, verify } from "./load_client.ts";

Deno.test({
  name: "gateway over SCRAM-SHA-512 + TLS: acknowledged events are stored; a wrong password never yields 200",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const t0 = Date.now();
    await using k = await startKafka({ brokers: 1, heapMb: 384, scram: true, tls: true });
    await createTopics(k.bootstrap, [{ topic: "secure", numPartitions: 2 }]);
    const password = k.sasl!.users.admin;
    const secureEnv = {
      KAFKA_BROKERS: k.tls!.saslBootstrap!,
      KAFKA_TLS: "true",
      KAFKA_TLS_CA_FILE: k.tls!.certs.caFile,
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "admin",
      TOPICS: "secure",
      LOG_LEVEL: "warn",
    };

    await t.step("right password: every 200 is read back over PLAINTEXT", async () => {
      await using gw = await spawnGateway({ ...secureEnv, KAFKA_SASL_PASSWORD: password });
      const load = runLoad({
        url: gw.url,
        topic: "secure",
        prefix: `st${Date.now()}`,
        loops: 4,
        maxMs: 10_000,
        maxPerLoop: 5_000,
      });
      const result = await load.done;
      const verdict = await verify(k.bootstrap, "secure", result);
      report("gateway_scram_tls", verdict);
      assert.ok(verdict.acked > 50, `events were acknowledged over SASL_SSL (${verdict.acked})`);
      assert.deepEqual(verdict.lost, [], "acknowledged − read = ∅");
      assert.deepEqual(Object.keys(verdict.statuses), ["200"], "only 200 while healthy");
    });

    await t.step("wrong password: /readyz never 200, POST 503 (never 200), nothing stored", async () => {
      const before = (await readTopic(k.bootstrap, "secure")).length;
      const port = freePort();
      const main = new URL("../../producer/main.ts", import.meta.url).pathname;
      const child = tiedCommand(Deno.execPath(), ["run", "-A", main], {
        env: {
          ...secureEnv,
          KAFKA_SASL_PASSWORD: `${password}-wrong`,
          PORT: String(port),
          HOST: "127.0.0.1",
        },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let stderr = "";
      const pumped = (async () => {
        for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) stderr += c;
      })();
      let exit: Deno.CommandStatus | undefined;
      child.status.then((s) => (exit = s));
      const url = `http://127.0.0.1:${port}`;
      const ready = new Map<number, number>();
      const posts = new Map<number, number>();
      try {
        const start = Date.now();
        for (let i = 0; i < 100 && Date.now() - start < 20_000 && !exit; i++) {
          const r = await readyz(url);
          ready.set(r, (ready.get(r) ?? 0) + 1);
          try {
            const res = await fetch(`${url}/v1/topics/secure/events`, {
              method: "POST",
              body: '{"wrong":"password"}',
              headers: { "content-type": "application/json" },
              signal: AbortSignal.timeout(15_000),
            });
            await res.body?.cancel();
            posts.set(res.status, (posts.get(res.status) ?? 0) + 1);
          } catch {
            posts.set(0, (posts.get(0) ?? 0) + 1);
          }
          await sleep(500);
        }
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await child.status;
        await pumped;
      }
      const after = (await readTopic(k.bootstrap, "secure")).length;
      console.log(
        `RESULT gateway_scram_tls_wrong_password ${
          JSON.stringify({
            readyz: Object.fromEntries(ready),
            post: Object.fromEntries(posts),
            exitedBy: exit ? `code ${exit.code}` : "still running (killed by the test)",
            storedDuringWrongPassword: after - before,
          })
        }`,
      );
      console.log(`gateway_scram_tls took ${Math.round((Date.now() - t0) / 1000)} s`);
      assert.ok(!ready.has(200), `never ready with a wrong password\n${stderr.slice(-2000)}`);
      assert.ok(!posts.has(200), "never 200 with a wrong password");
      assert.ok(posts.has(503) || exit !== undefined, "503, or the process refuses to run");
      for (const code of posts.keys()) {
        assert.ok(code === 503 || code === 0, `only 503 (or no answer): ${code}`);
      }
      assert.equal(after, before, "nothing reached Kafka");
    });
  },
});
