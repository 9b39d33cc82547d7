/**
 * The topics a gateway accepts, from `TOPICS` (names only) and/or `TOPICS_FILE`:
 *
 *   topics:
 *     logs:
 *       keyPointer: /user          # Kafka key from the payload (RFC 6901)
 *       idPointer: /id             # event id from the payload
 *       schema: { type: object }   # or schemaFile: schemas/logs.json (relative to this file)
 *       eventType: com.example.log
 *       eventSource: /web
 */
import { ConfigError, type ConfigProblem, parseConfigFile } from "@kafka-edge/lib";
import type { TopicConfig } from "./core/types.ts";

// Kafka's own rule for topic names.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const KNOWN = new Set(["keyPointer", "idPointer", "schema", "schemaFile", "eventType", "eventSource"]);

/** Reads files; injectable for tests. */
export type ReadText = (path: string) => string;

/**
 * Builds the topic map from the two settings, reporting every problem of both at once.
 * @throws {ConfigError}
 */
export function loadTopics(
  names: readonly string[] | undefined,
  file: string | undefined,
  readText: ReadText = Deno.readTextFileSync,
): Map<string, TopicConfig> {
  const problems: ConfigProblem[] = [];
  const topics = new Map<string, TopicConfig>();
  const bad = (variables: string[], message: string, actual: string, fix: string) =>
    problems.push({ variables, message, actual, fix });

  for (const name of names ?? []) {
    if (!TOPIC_NAME.test(name)) {
      bad(
        ["TOPICS"],
        "must list Kafka topic names ([a-zA-Z0-9._-], at most 249 characters)",
        `got ${JSON.stringify(name)}`,
        "set TOPICS=logs,notifications",
      );
    } else topics.set(name, { name });
  }
  if (file !== undefined) {
    let doc: Record<string, unknown> = {};
    try {
      doc = parseConfigFile(readText(file));
    } catch (err) {
      bad(
        ["TOPICS_FILE"],
        "must name a readable YAML or JSON file",
        `${file}: ${err instanceof Error ? err.message : err}`,
        "fix the file or unset TOPICS_FILE",
      );
    }
    const entries = doc.topics;
    if (
      doc.topics !== undefined && (typeof entries !== "object" || entries === null || Array.isArray(entries))
    ) {
      bad(
        ["TOPICS_FILE"],
        "must contain `topics:` as a mapping of topic name → settings",
        `${file}: got ${Array.isArray(entries) ? "a list" : typeof entries}`,
        "write topics: { logs: {} }",
      );
    }
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const [name, raw] of Object.entries((entries ?? {}) as Record<string, unknown>)) {
      const where = `${file}: topics.${name}`;
      if (!TOPIC_NAME.test(name)) {
        bad(
          ["TOPICS_FILE"],
          "topic names must be Kafka topic names ([a-zA-Z0-9._-], at most 249 characters)",
          `${where}`,
          "rename the topic",
        );
        continue;
      }
      const settings = (raw ?? {}) as Record<string, unknown>;
      if (typeof settings !== "object" || Array.isArray(settings)) {
        bad(
          ["TOPICS_FILE"],
          "each topic's settings must be a mapping",
          where,
          "write e.g. logs: { keyPointer: /user }",
        );
        continue;
      }
      for (const key of Object.keys(settings)) {
        if (!KNOWN.has(key)) {
          bad(["TOPICS_FILE"], `unknown setting "${key}"`, where, `use one of ${[...KNOWN].join(", ")}`);
        }
      }
      for (const key of ["keyPointer", "idPointer"] as const) {
        const p = settings[key];
        if (p !== undefined && (typeof p !== "string" || (p !== "" && !p.startsWith("/")))) {
          bad(
            ["TOPICS_FILE"],
            `${key} must be a JSON pointer such as /user`,
            `${where}.${key}: got ${JSON.stringify(p)}`,
            `set ${key}: /user`,
          );
        }
      }
      for (const key of ["eventType", "eventSource"] as const) {
        const v = settings[key];
        if (v !== undefined && (typeof v !== "string" || v === "")) {
          bad(
            ["TOPICS_FILE"],
            `${key} must be a non-empty string`,
            `${where}.${key}`,
            `set ${key}: com.example.event`,
          );
        }
      }
      let schema = settings.schema as Record<string, unknown> | undefined;
      if (settings.schemaFile !== undefined) {
        if (schema !== undefined) {
          bad(["TOPICS_FILE"], "schema and schemaFile are exclusive", where, "keep one of them");
        }
        const path = String(settings.schemaFile);
        const full = path.startsWith("/") ? path : dir + path;
        try {
          schema = JSON.parse(readText(full));
        } catch (err) {
          bad(
            ["TOPICS_FILE"],
            "schemaFile must name a readable JSON Schema file",
            `${where}.schemaFile: ${full}: ${err instanceof Error ? err.message : err}`,
            "fix the path (relative to the topics file)",
          );
        }
      }
      if (schema !== undefined && (typeof schema !== "object" || schema === null || Array.isArray(schema))) {
        bad(
          ["TOPICS_FILE"],
          "schema must be a JSON Schema object",
          `${where}.schema`,
          "write schema: { type: object }",
        );
        schema = undefined;
      }
      topics.set(name, {
        name,
        schema,
        keyPointer: settings.keyPointer as string | undefined,
        idPointer: settings.idPointer as string | undefined,
        eventType: settings.eventType as string | undefined,
        eventSource: settings.eventSource as string | undefined,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return topics;
}
