/** The offsets tool against real Kafka: dry run, real resets of a stopped group, refusal while it has members. */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startKafka } from "@kafka-edge/lib/testing";
import { runOffsets } from "../consumer/offsets_tool.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test({
  name: "offsets tool against real Kafka",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using k = await startKafka({ brokers: 1 });
    const kafka = new Kafka({
      clientId: "offsets-test",
      brokers: k.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: "logs", numPartitions: 2 }] });
    // Recent timestamps: records older than the broker's retention (7 days) would be deleted mid-test.
    const base = Date.now() - 3_600_000;
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 2; p++) {
      await producer.send({
        topic: "logs",
        messages: Array.from(
          { length: 10 },
          (_, i) => ({ partition: p, value: String(i), timestamp: String(base + i * 60_000) }),
        ),
      });
    }
    await producer.disconnect();
    await admin.setOffsets({
      groupId: "g",
      topic: "logs",
      partitions: [{ partition: 0, offset: "8" }, { partition: 1, offset: "9" }],
    });
    const committed = async () =>
      Object.fromEntries(
        (await admin.fetchOffsets({ groupId: "g", topics: ["logs"] }))[0].partitions.map((
          p,
        ) => [p.partition, p.offset]),
      );
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runOffsets(argv, kafka, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join("\n"), err: err.join("\n") };
    };

    try {
      await t.step("--dry-run prints the before/after table and changes nothing", async () => {
        const r = await run("--group", "g", "--topic", "logs", "--to-earliest", "--dry-run");
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /logs\s+0\s+8\s+0\s+0\s+10/);
        assert.match(r.out, /logs\s+1\s+9\s+0\s+0\s+10/);
        assert.match(r.out, /dry run/);
        assert.deepEqual(await committed(), { 0: "8", 1: "9" });
      });

      await t.step("--shift, --to-time and --to-latest reset a stopped group", async () => {
        assert.equal((await run("--group", "g", "--topic", "logs", "--shift", "-3")).code, 0);
        assert.deepEqual(await committed(), { 0: "5", 1: "6" });
        const r = await run(
          "--group",
          "g",
          "--topic",
          "logs",
          "--to-time",
          new Date(base + 4 * 60_000).toISOString(),
        );
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(await committed(), { 0: "4", 1: "4" });
        assert.equal((await run("--group", "g", "--topic", "logs", "--to-latest")).code, 0);
        assert.deepEqual(await committed(), { 0: "10", 1: "10" });
      });

      await t.step("refuses while the group has members, and says who", async () => {
        const consumer = kafka.consumer({ groupId: "g", sessionTimeout: 6000, heartbeatInterval: 500 });
        await consumer.connect();
        await consumer.subscribe({ topic: "logs" });
        let joined = false;
        consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
        await consumer.run({ eachMessage: () => Promise.resolve() });
        for (let i = 0; i < 300 && !joined; i++) await new Promise((r) => setTimeout(r, 100));
        try {
          const r = await run("--group", "g", "--topic", "logs", "--to-earliest");
          assert.equal(r.code, 1);
          assert.match(r.err, /refusing: group g is Stable with 1 member\(s\) \(offsets-test@/);
          assert.deepEqual(await committed(), { 0: "10", 1: "10" });
        } finally {
          await consumer.disconnect();
        }
      });

      await t.step("misuse exits 64 with the usage line", async () => {
        const r = await run("--group", "g", "--topic", "logs", "--to-earliest", "--to-latest");
        assert.equal(r.code, 64);
        assert.match(r.err, /exactly one of/);
        assert.match(r.err, /usage:/);
      });

      await t.step("`deno task offsets -- …` works as a process", async () => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["task", "offsets", "--", "--group", "g", "--topic", "logs", "--to-earliest", "--dry-run"],
          cwd: ROOT,
          env: { KAFKA_BROKERS: k.bootstrap, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        assert.match(text, /TOPIC\s+PARTITION\s+OLD-COMMITTED\s+NEW\s+LOG-START\s+LOG-END/);
        assert.match(text, /logs\s+0\s+10\s+0\s+0\s+10/);
      });
    } finally {
      await admin.disconnect();
    }
  },
});
