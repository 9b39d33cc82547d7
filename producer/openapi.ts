/** The gateway's OpenAPI 3.1 description (served at /openapi.json) and a dependency-free docs page. */

const errorBody = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", examples: ["unprocessable_entity"] },
        message: { type: "string", examples: ["event 3 does not match the topic's schema"] },
        details: {
          description: "machine-readable specifics: JSON positions, schema pointers, per-event results",
        },
      },
    },
  },
};

function error(description: string, retryAfter = false) {
  return {
    description,
    ...(retryAfter
      ? {
        headers: {
          "Retry-After": { schema: { type: "integer" }, description: "seconds to wait before retrying" },
        },
      }
      : {}),
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
}

const commonErrors = {
  "400": error(
    "malformed body (JSON syntax error with position, nesting too deep, invalid UTF-8, corrupt gzip/deflate data)",
  ),
  "401": error("missing or invalid credentials"),
  "403": error("the principal may not write to this topic"),
  "404": error("the topic is not configured on this gateway"),
  "413": error("body larger than the limit (on the wire or once decoded), or too many or too large events"),
  "415": error(
    "unsupported content type, charset or Content-Encoding (Accept-Encoding lists the codings taken)",
  ),
  "422": error(
    "payload violates the topic's JSON Schema (details list each JSON pointer), or a bad partition",
  ),
  "429": error("rate limit of the principal exceeded, or the gateway's buffer is full", true),
  "503": error(
    "Kafka is unreachable or did not acknowledge before the deadline; nothing was acknowledged",
    true,
  ),
};

const eventsDescription = `Events are acknowledged only after Kafka acknowledged them with acks=all.

How each content type maps to Kafka records:
- application/json: one payload, or an array of payloads. The payload bytes are the Kafka value, exactly as sent.
  The key comes from the topic's keyPointer (e.g. /user) when configured, else it is the event id. The id comes from
  the topic's idPointer, else the Idempotency-Key header (suffixed -<index> in a batch), else a generated one.
  Records are written as CloudEvents in Kafka binary mode (ce_id, ce_source, ce_type, ce_time, ce_specversion headers).
- application/x-ndjson: one payload per line, otherwise as application/json.
- application/cloudevents+json, application/cloudevents-batch+json, and binary mode (ce-* HTTP headers with any body):
  CloudEvents; the partitionkey extension becomes the Kafka key and every attribute a ce_* header.
- application/vnd.kafka.{json,binary,text}.v2+json: Kafka Bridge records with per-event key, value, partition and headers.
Bodies may be compressed (Content-Encoding: gzip or deflate); MAX_BODY_BYTES bounds them on the wire and decoded.
The W3C traceparent/tracestate headers are copied to every record. Clients may retry a failed request with the same
ids; consumers deduplicate on ce_id.`;

/** The OpenAPI document, with the configured topics as the enum of the topic parameter. */
export function openApiDocument(topics: readonly string[]): Record<string, unknown> {
  const topicParam = {
    name: "topic",
    in: "path",
    required: true,
    schema: { type: "string", enum: [...topics] },
  };
  const contentEncodingParam = {
    name: "Content-Encoding",
    in: "header",
    schema: { type: "string", examples: ["gzip", "deflate", "identity"] },
    description: "gzip or deflate to send a compressed body; any other coding is refused with 415",
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "kafka-edge gateway",
      version: "0.1.0",
      description: "HTTP ingestion into Kafka that never acknowledges what Kafka did not.",
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      "/v1/topics/{topic}/events": {
        post: {
          summary: "Produce events to a topic",
          description: eventsDescription,
          parameters: [
            topicParam,
            {
              name: "async",
              in: "query",
              schema: { type: "boolean" },
              description:
                "same as Prefer: respond-async — answer 202 once buffered (weaker: not yet in Kafka)",
            },
            { name: "Idempotency-Key", in: "header", schema: { type: "string" } },
            contentEncodingParam,
            { name: "Prefer", in: "header", schema: { type: "string", examples: ["respond-async"] } },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {},
                examples: { login: { value: { user: "keita", action: "login" } } },
              },
              "application/x-ndjson": { schema: { type: "string" } },
              "application/cloudevents+json": { schema: { $ref: "#/components/schemas/CloudEvent" } },
              "application/cloudevents-batch+json": {
                schema: { type: "array", items: { $ref: "#/components/schemas/CloudEvent" } },
              },
              "application/vnd.kafka.json.v2+json": {
                schema: { $ref: "#/components/schemas/BridgeRecords" },
              },
            },
          },
          responses: {
            "200": {
              description: "every event acknowledged by Kafka",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Results" } } },
            },
            "202": {
              description: "buffered, not yet acknowledged (Prefer: respond-async)",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Accepted" } } },
            },
            "207": {
              description: "some events acknowledged, some not: see each result",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Results" } } },
            },
            ...commonErrors,
          },
        },
      },
      "/topics/{topic}": {
        post: {
          summary: "Strimzi Kafka Bridge compatible produce",
          description:
            "Same request and response bodies as the Strimzi Kafka Bridge, with honest statuses: 207 when some records failed, 503 when none was acknowledged.",
          parameters: [topicParam, contentEncodingParam],
          requestBody: {
            required: true,
            content: {
              "application/vnd.kafka.json.v2+json": {
                schema: { $ref: "#/components/schemas/BridgeRecords" },
              },
              "application/vnd.kafka.binary.v2+json": {
                schema: { $ref: "#/components/schemas/BridgeRecords" },
              },
            },
          },
          responses: {
            "200": {
              description: "every record acknowledged",
              content: { "application/json": { schema: { $ref: "#/components/schemas/BridgeOffsets" } } },
            },
            "207": {
              description: "some records failed",
              content: { "application/json": { schema: { $ref: "#/components/schemas/BridgeOffsets" } } },
            },
            ...commonErrors,
          },
        },
      },
      "/healthz": {
        get: { summary: "process is alive", security: [], responses: { "200": { description: "alive" } } },
      },
      "/readyz": {
        get: {
          summary: "connected to Kafka with fresh metadata, and not draining",
          security: [],
          responses: { "200": { description: "ready" }, "503": error("not ready", true) },
        },
      },
      "/metrics": {
        get: { summary: "Prometheus metrics", security: [], responses: { "200": { description: "text" } } },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "an API key or a JWT (pinned algorithms, aud/iss checked)",
        },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
      schemas: {
        Error: errorBody,
        Results: {
          type: "object",
          required: ["results", "succeeded", "failed"],
          properties: {
            succeeded: { type: "integer" },
            failed: { type: "integer" },
            results: {
              type: "array",
              items: {
                oneOf: [
                  {
                    type: "object",
                    required: ["id", "partition", "offset"],
                    properties: {
                      id: { type: "string" },
                      partition: { type: "integer" },
                      offset: { type: "string" },
                    },
                  },
                  {
                    type: "object",
                    required: ["id", "error"],
                    properties: { id: { type: "string" }, error: {} },
                  },
                ],
              },
            },
          },
        },
        Accepted: {
          type: "object",
          properties: { accepted: { type: "integer" }, ids: { type: "array", items: { type: "string" } } },
        },
        CloudEvent: {
          type: "object",
          required: ["specversion", "id", "source", "type"],
          properties: {
            specversion: { const: "1.0" },
            id: { type: "string" },
            source: { type: "string" },
            type: { type: "string" },
            time: { type: "string", format: "date-time" },
            subject: { type: "string" },
            datacontenttype: { type: "string" },
            partitionkey: { type: "string", description: "becomes the Kafka key" },
            data: {},
            data_base64: { type: "string" },
          },
        },
        BridgeRecords: {
          type: "object",
          required: ["records"],
          properties: {
            records: {
              type: "array",
              items: {
                type: "object",
                required: ["value"],
                properties: {
                  key: {},
                  value: {},
                  partition: { type: "integer", minimum: 0 },
                  headers: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: { key: { type: "string" }, value: { type: "string" } },
                    },
                  },
                },
              },
            },
          },
        },
        BridgeOffsets: {
          type: "object",
          properties: {
            offsets: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  partition: { type: "integer" },
                  offset: { type: "integer" },
                  error_code: { type: "integer" },
                  message: { type: "string" },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** A small self-contained page that renders /openapi.json (no CDN: gateways often run without egress). */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kafka-edge gateway API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;overflow:auto;white-space:pre-wrap}
h2{border-bottom:1px solid #ddd}.m{font-weight:bold;color:#fff;background:#2a7;padding:.1rem .4rem;border-radius:3px}</style>
</head><body><h1>kafka-edge gateway API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<div id="api">loading…</div>
<script>
fetch("/openapi.json").then(r => r.json()).then(doc => {
  const esc = s => String(s ?? "").replace(/[&<>]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;"}[c]));
  let html = "";
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    html += "<h2><span class=m>" + method.toUpperCase() + "</span> <code>" + esc(path) + "</code></h2>";
    html += "<p>" + esc(op.summary) + "</p>";
    if (op.description) html += "<pre>" + esc(op.description) + "</pre>";
    if (op.requestBody) html += "<p>Content types: " + Object.keys(op.requestBody.content).map(t => "<code>" + esc(t) + "</code>").join(", ") + "</p>";
    html += "<ul>" + Object.entries(op.responses).map(([s, r]) => "<li><b>" + s + "</b> " + esc(r.description) + "</li>").join("") + "</ul>";
  }
  document.getElementById("api").innerHTML = html;
});
</script></body></html>`;
}
