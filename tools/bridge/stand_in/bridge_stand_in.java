// A stand-in for the Strimzi Kafka Bridge's producer endpoint, for the benchmark only, used when the
// io.strimzi:kafka-bridge artifact cannot be fetched. It is built the way the bridge is (one Vert.x HTTP
// verticle, one shared KafkaProducer<byte[], byte[]>, one producer.send per record, the answer once every
// record's send completed) but leaves out what the real bridge adds per request (OpenAPI routing and
// validation, converters, metrics, tracing), so it is an upper bound for the bridge's throughput.
//
//   java -cp 'libs/*' bridge_stand_in.java --bootstrap 127.0.0.1:9092 --host 127.0.0.1 --port 8081 \
//     [--producer-config acks=all,linger.ms=5]
//
// Routes: POST /topics/{topic} with application/vnd.kafka.json.v2+json {"records": [{key?, value,
// partition?}]} → 200 {"offsets": [{partition, offset} | {error_code, message}]}; GET /healthy and /ready.

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class bridge_stand_in {
    public static void main(String[] args) {
        String bootstrap = "127.0.0.1:9092";
        String host = "127.0.0.1";
        int port = 8080;
        Properties props = new Properties();
        props.put("acks", "all");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--bootstrap" -> bootstrap = args[i + 1];
                case "--host" -> host = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--producer-config" -> {
                    for (String kv : args[i + 1].split(",")) {
                        String[] parts = kv.split("=", 2);
                        props.put(parts[0], parts[1]);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        props.put("bootstrap.servers", bootstrap);
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        Vertx vertx = Vertx.vertx();
        String listenHost = host;
        int listenPort = port;
        // One verticle, like the bridge's HttpBridge: every request is handled on one event loop thread.
        vertx.deployVerticle(new AbstractVerticle() {
            @Override
            public void start() {
                vertx.createHttpServer()
                    .requestHandler(req -> handle(req, producer, context))
                    .listen(listenPort, listenHost)
                    .onSuccess(s -> System.out.println("listening on " + listenHost + ":" + s.actualPort()))
                    .onFailure(err -> {
                        err.printStackTrace();
                        System.exit(1);
                    });
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(producer::close));
    }

    static void handle(HttpServerRequest req, KafkaProducer<byte[], byte[]> producer, Context context) {
        String path = req.path();
        if (path.equals("/healthy") || path.equals("/ready")) {
            req.response().setStatusCode(200).end();
            return;
        }
        if (!path.startsWith("/topics/") || req.method().name().equals("POST") == false) {
            req.response().setStatusCode(404).end();
            return;
        }
        String topic = path.substring("/topics/".length());
        req.body().onSuccess(body -> produce(req, topic, body, producer, context));
    }

    static void produce(
        HttpServerRequest req, String topic, Buffer body, KafkaProducer<byte[], byte[]> producer, Context context
    ) {
        JsonArray records;
        try {
            records = body.toJsonObject().getJsonArray("records");
        } catch (RuntimeException e) {
            error(req, 422, e.getMessage());
            return;
        }
        if (records == null || records.isEmpty()) {
            error(req, 422, "records must be a non-empty array");
            return;
        }
        int n = records.size();
        JsonObject[] offsets = new JsonObject[n];
        AtomicInteger remaining = new AtomicInteger(n);
        for (int i = 0; i < n; i++) {
            JsonObject r = records.getJsonObject(i);
            // The json embedded format: key and value are written as their JSON encoding.
            byte[] key = r.containsKey("key") ? Json.encodeToBuffer(r.getValue("key")).getBytes() : null;
            byte[] value = Json.encodeToBuffer(r.getValue("value")).getBytes();
            Integer partition = r.getInteger("partition");
            int index = i;
            producer.send(new ProducerRecord<>(topic, partition, key, value), (meta, err) -> {
                offsets[index] = err == null
                    ? new JsonObject().put("partition", meta.partition()).put("offset", meta.offset())
                    : new JsonObject().put("error_code", 500).put("message", err.getMessage());
                if (remaining.decrementAndGet() == 0) {
                    // Callbacks run on the producer's I/O thread; answer on the event loop, as the bridge does.
                    context.runOnContext(v -> req.response()
                        .putHeader("content-type", "application/vnd.kafka.v2+json")
                        .end(new JsonObject().put("offsets", new JsonArray(java.util.List.of(offsets))).toBuffer()));
                }
            });
        }
    }

    static void error(HttpServerRequest req, int status, String message) {
        req.response().setStatusCode(status).putHeader("content-type", "application/vnd.kafka.v2+json")
            .end(new JsonObject().put("error_code", status).put("message", message).encode());
    }
}
