/**
 * Field checks shared by the auth configuration files (API keys, JWT topic map). Each check
 * appends a one-line problem naming the field and the fix instead of throwing, so one pass over a
 * file reports every mistake.
 *
 * @module
 */
import type { RateLimit } from "../types.ts";

/** Collected problems, one line each: `<where>: <what is wrong> (<example of a fix>)`. */
export type Problems = string[];

/** The message of an error listing every problem of `source`. */
export function problemsError(source: string, problems: readonly string[]): string {
  const noun = problems.length === 1 ? "problem" : "problems";
  return `invalid ${source} (${problems.length} ${noun}):\n${problems.map((p) => `  ${p}`).join("\n")}`;
}

/** Reports fields of `object` not in `allowed`; catches typos that would otherwise be ignored. */
export function rejectUnknownFields(
  object: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
  problems: Problems,
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      problems.push(
        `${where}: unknown field ${JSON.stringify(key)}; allowed fields are ${allowed.join(", ")}`,
      );
    }
  }
}

/** `"*"` or a non-empty list of topic names; duplicates are dropped. */
export function readTopics(
  value: unknown,
  where: string,
  problems: Problems,
): readonly string[] | "*" | undefined {
  const fix = `(topics: ["orders", "payments"] or topics: "*" for every topic)`;
  if (value === "*") return "*";
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${where}: must be "*" or a non-empty list of topic names ${fix}`);
    return undefined;
  }
  if (value.includes("*")) {
    problems.push(`${where}: "*" must stand alone, not inside a list (topics: "*")`);
    return undefined;
  }
  if (!value.every((topic) => typeof topic === "string" && topic.trim() !== "")) {
    problems.push(`${where}: every topic must be a non-empty string ${fix}`);
    return undefined;
  }
  return [...new Set(value as string[])];
}

/** A token-bucket rate `{ perSecond > 0, burst >= 1 }`. */
export function readRate(value: unknown, where: string, problems: Problems): RateLimit | undefined {
  const fix = "(rate: { perSecond: 100, burst: 200 })";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where}: must be a mapping ${fix}`);
    return undefined;
  }
  const fields = value as Record<string, unknown>;
  const before = problems.length;
  rejectUnknownFields(fields, ["perSecond", "burst"], where, problems);
  const { perSecond, burst } = fields;
  if (typeof perSecond !== "number" || !Number.isFinite(perSecond) || perSecond <= 0) {
    problems.push(`${where}.perSecond: must be a number greater than 0 ${fix}`);
  }
  if (typeof burst !== "number" || !Number.isFinite(burst) || burst < 1) {
    problems.push(`${where}.burst: must be a number of at least 1 ${fix}`);
  }
  return problems.length > before ? undefined : { perSecond: perSecond as number, burst: burst as number };
}
