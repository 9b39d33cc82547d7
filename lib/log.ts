/**
 * Structured JSON-lines logger shared by every service.
 *
 * One JSON object per line so log shippers (Loki, Fluent Bit, CloudWatch) can index fields without
 * parsing free text. Values under secret-looking keys are redacted here, at the last moment before
 * output, so a careless `log.info("cfg", cfg)` cannot leak a password.
 *
 * @module
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Anything that can tell the current time in epoch milliseconds. */
export interface NowClock {
  now(): number;
}

/** The logger every service and lib module receives. */
export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written; lets callers skip building expensive fields. */
  enabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line (call-site fields win on conflict). */
  child(fields: LogFields): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Receives one complete JSON line without trailing newline; defaults to stdout. */
  readonly sink?: (line: string) => void;
  readonly clock?: NowClock;
  readonly fields?: LogFields;
}

/** The placeholder written instead of any secret value, in logs and in configuration errors. */
export const REDACTED = "<redacted>";

/** Every level, lowest severity first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

// Matched against the key lower-cased with separators removed, so "apiKey", "api_key" and "X-Api-Key" all hit.
const SECRET_KEY_PARTS = [
  "password",
  "passwd",
  "secret",
  "token",
  "apikey",
  "authorization",
  "cookie",
  "credential",
  "privatekey",
  "accesskey",
  "signature",
];

// Core keys of every line; fields using these names are renamed instead of silently clobbering them.
const RESERVED_KEYS = new Set(["time", "level", "msg"]);

const MAX_DEPTH = 8;

/** True when a field name suggests its value is a credential and must not be logged. */
export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  return SECRET_KEY_PARTS.some((part) => normalized.includes(part));
}

/** True when `value` names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Serializes an Error including its cause chain; plain JSON.stringify would yield `{}`. */
export function serializeError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.cause !== undefined) out.cause = toLoggable(err.cause, depth + 1, new WeakSet());
  return out;
}

/**
 * Converts any value into something JSON.stringify renders faithfully: Errors become objects,
 * bigints strings, bytes a length summary, cycles and over-deep nesting a marker, and values under
 * secret-looking keys {@link REDACTED}.
 */
export function toLoggable(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (value instanceof Error) return serializeError(value, depth);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (value instanceof URL) return redactUrl(value.href);
    if (Array.isArray(value)) return value.map((item) => toLoggable(item, depth + 1, seen));
    if (value instanceof Map || value instanceof Headers) {
      return toLoggable(Object.fromEntries(value), depth, seen);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) && item !== undefined && item !== null
        ? REDACTED
        : toLoggable(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Removes the password from a URL's user-info so connection strings can be logged. */
export function redactUrl(href: string): string {
  try {
    const url = new URL(href);
    if (!url.password) return href;
    url.password = REDACTED;
    return url.href;
  } catch {
    return href;
  }
}

function defaultSink(line: string): void {
  console.log(line);
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const sink = options.sink ?? defaultSink;
  const clock = options.clock ?? Date;
  return buildLogger(level, sink, clock, options.fields ?? {});
}

function buildLogger(
  level: LogLevel,
  sink: (line: string) => void,
  clock: NowClock,
  bound: LogFields,
): Logger {
  const threshold = SEVERITY[level];
  const enabled = (at: LogLevel): boolean => SEVERITY[at] >= threshold;
  const write = (at: LogLevel, msg: string, fields?: LogFields): void => {
    if (!enabled(at)) return;
    sink(formatLine(at, msg, clock.now(), { ...bound, ...fields }));
  };
  return {
    level,
    enabled,
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => buildLogger(level, sink, clock, { ...bound, ...fields }),
  };
}

/** Renders one log line; exported so other sinks (tests, stderr) produce the identical shape. */
export function formatLine(level: LogLevel, msg: string, epochMs: number, fields: LogFields): string {
  const line: Record<string, unknown> = { time: new Date(epochMs).toISOString(), level, msg };
  const safe = toLoggable(fields) as Record<string, unknown>;
  for (const [key, value] of Object.entries(safe)) {
    line[RESERVED_KEYS.has(key) ? `field_${key}` : key] = value;
  }
  return JSON.stringify(line);
}
