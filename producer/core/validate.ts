/**
 * Per-topic JSON Schema (draft 2020-12) validation with Ajv, compiled once at start-up.
 *
 * Ajv runs in strict mode so a typo in a schema (`"requried"`, an unknown `format`) fails start-up
 * instead of silently accepting everything; `strictRequired` stays off because `required` without a
 * matching `properties` entry is ordinary JSON Schema. Each topic gets its own Ajv instance so two
 * topics' schemas may reuse the same `$id`.
 *
 * @module
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { isRfc3339 } from "../../lib/envelope.ts";
import { escapePointerToken, parsePointer } from "@kafka-edge/lib";
import type { DecodedEvent, RequestProblem, TopicConfig } from "./types.ts";

/** At most this many schema errors are reported, so a huge bad batch cannot make a huge response. */
export const MAX_REPORTED_ERRORS = 20;

/** One schema violation of one event. */
export interface SchemaViolation {
  /** Index of the event in the request. */
  readonly event: number;
  /** JSON pointer into the event's payload, e.g. `/user`. */
  readonly pointer: string;
  readonly message: string;
}

/** Checks one payload against a topic's schema. */
export type PayloadValidator = (payload: unknown) => readonly Omit<SchemaViolation, "event">[];

/** Start-up result: a validator for every topic with a schema, or every configuration error. */
export type CompileResult =
  | { readonly ok: true; readonly validators: ReadonlyMap<string, PayloadValidator> }
  | { readonly ok: false; readonly errors: readonly string[] };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const URI_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function isDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days;
}

function isTime(value: string): boolean {
  const m = TIME.exec(value);
  return m !== null && Number(m[1]) <= 23 && Number(m[2]) <= 59 && Number(m[3]) <= 60;
}

// The common formats, so strict mode does not reject them; anything else fails start-up by name
// rather than being silently ignored.
const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  "date-time": isRfc3339,
  date: isDate,
  time: isTime,
  uuid: (v) => UUID.test(v),
  email: (v) => EMAIL.test(v),
  ipv4: (v) => IPV4.test(v),
  uri: (v) => URI_SCHEME.test(v) && URL.canParse(v),
};

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: "string", validate });
  return ajv;
}

function violation(error: ErrorObject): Omit<SchemaViolation, "event"> {
  const params = error.params as Record<string, unknown>;
  // Point at the offending property itself, which is where a client has to look.
  if (error.keyword === "required" && typeof params.missingProperty === "string") {
    return {
      pointer: `${error.instancePath}/${escapePointerToken(params.missingProperty)}`,
      message: "is required",
    };
  }
  if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return {
      pointer: `${error.instancePath}/${escapePointerToken(params.additionalProperty)}`,
      message: "is not allowed",
    };
  }
  return { pointer: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
}

function wrap(validate: ValidateFunction): PayloadValidator {
  return (payload) => {
    if (validate(payload)) return [];
    return (validate.errors ?? []).map(violation);
  };
}

/**
 * Compiles every topic's schema and checks its pointers. Errors name the topic and are meant for
 * start-up logs, e.g. `topic "orders": schema: strict mode: unknown keyword: "requried"`.
 */
export function compileTopics(topics: readonly TopicConfig[]): CompileResult {
  const errors: string[] = [];
  const validators = new Map<string, PayloadValidator>();
  for (const topic of topics) {
    for (const field of ["keyPointer", "idPointer"] as const) {
      const pointer = topic[field];
      if (pointer === undefined) continue;
      const parsed = parsePointer(pointer);
      if (!parsed.ok) {
        errors.push(`topic "${topic.name}": ${field} ${JSON.stringify(pointer)}: ${parsed.message}`);
      }
    }
    if (topic.schema === undefined) continue;
    try {
      validators.set(topic.name, wrap(newAjv().compile(topic.schema)));
    } catch (error) {
      errors.push(`topic "${topic.name}": schema: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, validators };
}

/**
 * Validates every event marked for validation; a 422 listing the first {@link MAX_REPORTED_ERRORS}
 * violations (event index, pointer into the payload, message) when any fails, else `undefined`.
 */
export function validateEvents(
  validator: PayloadValidator,
  events: readonly DecodedEvent[],
  maxErrors: number = MAX_REPORTED_ERRORS,
): RequestProblem | undefined {
  const details: SchemaViolation[] = [];
  let total = 0;
  let failedEvents = 0;
  events.forEach((event, index) => {
    if (!event.validate) return;
    const violations = validator(event.payload);
    if (violations.length === 0) return;
    failedEvents++;
    total += violations.length;
    for (const v of violations) if (details.length < maxErrors) details.push({ event: index, ...v });
  });
  if (total === 0) return undefined;
  const shown = total > details.length ? ` (first ${details.length} of ${total} errors shown)` : "";
  return {
    status: 422,
    code: "unprocessable_entity",
    message: `${failedEvents} of ${events.length} event${
      events.length === 1 ? "" : "s"
    } do not match the topic's schema${shown}`,
    details,
  };
}
