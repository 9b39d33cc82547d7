/**
 * `deno task dev`: the whole system on one machine for local development — a real single-node Kafka on
 * 127.0.0.1:9092 (or a free port when 9092 is taken) with the `logs` topic of the reference article.
 * Later components (gateway, worker) are added here as they land.
 */
import { Kafka, logLevel } from "kafkajs";
import { freePort, startKafka } from "@kafka-edge/lib/testing";

async function portFree(port: number): Promise<boolean> {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

const port = (await portFree(9092)) ? 9092 : freePort();
console.error(`# starting Kafka on 127.0.0.1:${port} (first run downloads the broker jars)`);
const kafka = await startKafka({ brokers: 1, port });
const admin = new Kafka({ brokers: [kafka.bootstrap], clientId: "dev", logLevel: logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: "logs", numPartitions: 3 }], waitForLeaders: true });
await admin.disconnect();

console.log(`KAFKA_BOOTSTRAP=${kafka.bootstrap}`);
console.log(`
Kafka is ready with topic "logs". Produce like the reference article's Node.js producer:
  const kafka = new Kafka({ clientId: "webapp", brokers: ["${kafka.bootstrap}"] });
Press Ctrl-C to stop; data lives in ${kafka.dir} and is removed on exit.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) Deno.exit(130);
  stopping = true;
  await kafka.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
