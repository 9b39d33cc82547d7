/**
 * Schema-driven configuration from environment variables and an optional YAML/JSON file.
 *
 * Every problem is collected before failing so an operator fixes a broken deployment in one
 * round trip instead of one crash-loop per variable. Secret values are never echoed: problems and
 * start-up dumps show {@link REDACTED} instead.
 *
 * Empty strings count as "not set" because Kubernetes manifests and `.env` files routinely render
 * unset values as `NAME=`.
 *
 * @module
 */
import { parse as parseYaml, YAMLError } from "yaml";
import { REDACTED, redactUrl } from "./log.ts";

/** Result of parsing one raw value. */
export type ParseOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly detail?: string };

/** Descriptive data about a field, used for errors, redaction and help output. */
export interface FieldMeta<T> {
  readonly kind: string;
  /** Completes "NAME: …", e.g. "must be host:port[,host:port]". */
  readonly expects: string;
  /** Value suggested in the fix hint "(set NAME=example)". */
  readonly example: string;
  readonly description?: string;
  readonly secret: boolean;
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue?: T;
}

/** One configuration variable: how to parse it and how to talk about it. */
export interface Field<T> {
  readonly meta: FieldMeta<T>;
  parse(raw: unknown): ParseOutcome<T>;
  /** How a parsed value appears in start-up logs (URLs lose their password). */
  show(value: T): unknown;
  default(value: T): Field<T>;
  optional(): Field<T | undefined>;
  secret(): Field<T>;
  describe(text: string): Field<T>;
  example(value: string): Field<T>;
}

/** A record of variable name → field. */
export type Fields = Readonly<Record<string, Field<unknown>>>;

/** The parsed, typed configuration for a set of fields. */
export type ConfigOf<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  readonly variables: readonly string[];
  /** e.g. "must be an integer between 1 and 65535". */
  readonly message: string;
  /** e.g. `got "x"`, `not set`; already redacted. */
  readonly actual?: string;
  /** e.g. "set PORT=8080". */
  readonly fix?: string;
}

/** A rule spanning several variables; skipped when one of `uses` already failed on its own. */
export interface ConfigCheck<C> {
  readonly uses: readonly string[];
  run(config: C): readonly ConfigProblem[];
}

/** Fields plus cross-field checks. */
export interface ConfigSpec<F extends Fields> {
  readonly fields: F;
  readonly checks: readonly ConfigCheck<ConfigOf<F>>[];
}

/** Where a file-provided configuration came from; only used in messages. */
export interface ParseOptions {
  readonly fileName?: string;
}

/** Thrown by {@link parseConfig} with every problem found. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  readonly lines: readonly string[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map(formatProblem);
    const noun = problems.length === 1 ? "problem" : "problems";
    super(`invalid configuration (${problems.length} ${noun}):\n${lines.map((l) => `  ${l}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
    this.lines = lines;
  }
}

/** Renders `NAME: must be …; got "x" (set NAME=…)`. */
export function formatProblem(problem: ConfigProblem): string {
  const actual = problem.actual === undefined ? "" : `; ${problem.actual}`;
  const fix = problem.fix === undefined ? "" : ` (${problem.fix})`;
  return `${problem.variables.join(", ")}: ${problem.message}${actual}${fix}`;
}

interface FieldCore<T> {
  readonly kind: string;
  readonly expects: string;
  readonly example: string;
  parse(raw: unknown): ParseOutcome<T>;
  show?(value: T): unknown;
}

function makeField<T>(core: FieldCore<T>, meta: FieldMeta<T>): Field<T> {
  const withMeta = <U>(next: Partial<FieldMeta<U>>): Field<U> =>
    makeField(core as unknown as FieldCore<U>, { ...(meta as unknown as FieldMeta<U>), ...next });
  return {
    meta,
    parse: (raw) => core.parse(raw),
    show: (value) => (meta.secret ? REDACTED : core.show ? core.show(value) : value),
    default: (value) => withMeta<T>({ required: false, hasDefault: true, defaultValue: value }),
    optional: () => withMeta<T | undefined>({ required: false }),
    secret: () =>
      withMeta<T>({ secret: true, example: meta.example === core.example ? "<secret>" : meta.example }),
    describe: (text) => withMeta<T>({ description: text }),
    example: (value) => withMeta<T>({ example: value }),
  };
}

function field<T>(core: FieldCore<T>): Field<T> {
  return makeField(core, {
    kind: core.kind,
    expects: core.expects,
    example: core.example,
    secret: false,
    required: true,
    hasDefault: false,
  });
}

const ok = <T>(value: T): ParseOutcome<T> => ({ ok: true, value });
const bad = (detail?: string): ParseOutcome<never> => ({ ok: false, detail });

function asText(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw.trim();
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  return undefined;
}

/** Options for {@link str}. */
export interface StrOptions {
  readonly pattern?: RegExp;
  readonly expects?: string;
}

/** A non-empty string, optionally matching `pattern`. */
export function str(options: StrOptions = {}): Field<string> {
  const { pattern } = options;
  return field({
    kind: "string",
    expects: options.expects ?? (pattern ? `must match ${pattern}` : "must be a non-empty string"),
    example: "value",
    parse(raw) {
      const text = asText(raw);
      if (!text || (pattern && !pattern.test(text))) return bad();
      return ok(text);
    },
  });
}

/** Bounds for {@link int}. */
export interface IntOptions {
  readonly min?: number;
  readonly max?: number;
}

function rangeText(min: number | undefined, max: number | undefined, unit = ""): string {
  if (min !== undefined && max !== undefined) return ` between ${min}${unit} and ${max}${unit}`;
  if (min !== undefined) return ` of at least ${min}${unit}`;
  if (max !== undefined) return ` of at most ${max}${unit}`;
  return "";
}

function inRange(n: number, min?: number, max?: number): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

/** A base-10 integer, optionally bounded (inclusive). */
export function int(options: IntOptions = {}): Field<number> {
  const { min, max } = options;
  return field({
    kind: "integer",
    expects: `must be an integer${rangeText(min, max)}`,
    example: String(min ?? 1),
    parse(raw) {
      const text = asText(raw);
      if (text === undefined || !/^[+-]?\d+$/.test(text)) return bad();
      const n = Number(text);
      return Number.isSafeInteger(n) && inRange(n, min, max) ? ok(n) : bad();
    },
  });
}

const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

/** A boolean; accepts true/false, 1/0, yes/no, on/off in any case. */
export function bool(): Field<boolean> {
  return field({
    kind: "boolean",
    expects: "must be true or false",
    example: "true",
    parse(raw) {
      const text = asText(raw)?.toLowerCase();
      if (text !== undefined && TRUE_WORDS.has(text)) return ok(true);
      if (text !== undefined && FALSE_WORDS.has(text)) return ok(false);
      return bad();
    },
  });
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses "500ms", "1.5s", "2m", "1h" or a bare integer of milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  if (unit === undefined && amount.includes(".")) return undefined;
  return Math.round(Number(amount) * DURATION_UNITS[unit ?? "ms"]);
}

/** A duration, returned in milliseconds; bounds are in milliseconds too. */
export function duration(options: IntOptions = {}): Field<number> {
  const { min, max } = options;
  return field({
    kind: "duration",
    expects: `must be a duration like 500ms, 5s or 2m${rangeText(min, max, "ms")}`,
    example: "5s",
    parse(raw) {
      const ms = typeof raw === "number"
        ? (Number.isInteger(raw) ? raw : undefined)
        : parseDuration(asText(raw) ?? "");
      return ms !== undefined && inRange(ms, min, max) ? ok(ms) : bad();
    },
  });
}

/** One of a fixed set of words, matched case-insensitively and returned in canonical spelling. */
export function oneOf<const V extends string>(values: readonly V[]): Field<V> {
  return field({
    kind: "enum",
    expects: `must be one of ${values.join(", ")}`,
    example: values[0],
    parse(raw) {
      const text = asText(raw)?.toLowerCase();
      const hit = values.find((v) => v.toLowerCase() === text);
      return hit === undefined ? bad() : ok(hit);
    },
  });
}

/** Options for {@link list}. */
export interface ListOptions {
  readonly separator?: string;
}

function splitList(raw: unknown, separator: string): readonly string[] | undefined {
  const items = Array.isArray(raw) ? raw.map(asText) : asText(raw)?.split(separator).map((s) => s.trim());
  if (!items || items.some((item) => item === undefined)) return undefined;
  const kept = (items as string[]).filter((item) => item !== "");
  return kept.length > 0 ? kept : undefined;
}

/** A non-empty list, from a separated string (env) or an array (file). */
export function list(options: ListOptions = {}): Field<readonly string[]> {
  const separator = options.separator ?? ",";
  return field({
    kind: "list",
    expects: `must be a ${separator === "," ? "comma" : `"${separator}"`}-separated list`,
    example: ["a", "b"].join(separator),
    parse(raw) {
      const items = splitList(raw, separator);
      return items ? ok(items) : bad();
    },
  });
}

const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** Kafka bootstrap servers as host:port[,host:port…]; IPv6 hosts in brackets. */
export function brokers(): Field<readonly string[]> {
  return field({
    kind: "brokers",
    expects: "must be host:port[,host:port]",
    example: "broker1:9092,broker2:9092",
    parse(raw) {
      const items = splitList(raw, ",");
      if (!items) return bad();
      for (const item of items) {
        const match = BROKER.exec(item);
        if (!match || !inRange(Number(match[2]), 1, 65535)) return bad(`"${item}" is not host:port`);
      }
      return ok(items);
    },
  });
}

/** Options for {@link url}. */
export interface UrlOptions {
  /** Allowed schemes including the colon, e.g. ["https:"]. */
  readonly protocols?: readonly string[];
}

/** An absolute URL, returned as its normalized href. */
export function url(options: UrlOptions = {}): Field<string> {
  const { protocols } = options;
  const schemes = protocols?.map((p) => p.replace(/:$/, "")).join(" or ");
  return field({
    kind: "url",
    expects: schemes ? `must be an absolute ${schemes} URL` : "must be an absolute URL",
    example: `${protocols?.[0] ?? "https:"}//example.com`,
    parse(raw) {
      const text = asText(raw);
      if (!text || !URL.canParse(text)) return bad();
      const parsed = new URL(text);
      return protocols && !protocols.includes(parsed.protocol) ? bad() : ok(parsed.href);
    },
    show: redactUrl,
  });
}

/** Options for {@link filePath}. */
export interface FilePathOptions {
  /** Check at start-up that the file exists; on by default so a missing mount fails fast and clearly. */
  readonly mustExist?: boolean;
}

function fileStatus(path: string): string | undefined {
  try {
    return Deno.statSync(path).isFile ? undefined : "not a regular file";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "no such file";
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      return "permission denied";
    }
    return err instanceof Error ? err.message : String(err);
  }
}

/** A filesystem path to a file. */
export function filePath(options: FilePathOptions = {}): Field<string> {
  const mustExist = options.mustExist ?? true;
  return field({
    kind: "file",
    expects: mustExist ? "must be the path of an existing file" : "must be a file path",
    example: "/path/to/file",
    parse(raw) {
      const text = asText(raw);
      if (!text) return bad();
      const problem = mustExist ? fileStatus(text) : undefined;
      return problem ? bad(problem) : ok(text);
    },
  });
}

/** Bundles fields with cross-field checks. */
export function defineConfig<F extends Fields>(
  fields: F,
  checks: readonly ConfigCheck<ConfigOf<F>>[] = [],
): ConfigSpec<F> {
  return { fields, checks };
}

/** Adds or overrides fields of `base` (e.g. a per-service KAFKA_CLIENT_ID default) keeping its checks. */
export function extendConfig<B extends Fields, F extends Fields>(
  base: ConfigSpec<B>,
  fields: F,
  checks: readonly ConfigCheck<ConfigOf<Omit<B, keyof F> & F>>[] = [],
): ConfigSpec<Omit<B, keyof F> & F> {
  // Base checks only read base variables, which the merged config still has.
  const inherited = base.checks as unknown as readonly ConfigCheck<ConfigOf<Omit<B, keyof F> & F>>[];
  return { fields: { ...base.fields, ...fields }, checks: [...inherited, ...checks] };
}

function isUnset(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "");
}

function showRaw(raw: unknown, secret: boolean, show: (v: unknown) => unknown): string {
  if (secret) return REDACTED;
  const text = typeof raw === "string" ? String(show(raw)) : JSON.stringify(raw) ?? String(raw);
  const clipped = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return typeof raw === "string" ? JSON.stringify(clipped) : clipped;
}

/**
 * Parses `env` (and, below it, `file`) against `spec`.
 * @throws {ConfigError} listing every invalid or missing variable and every failed check.
 */
export function parseConfig<F extends Fields>(
  spec: ConfigSpec<F>,
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, unknown>> = {},
  options: ParseOptions = {},
): ConfigOf<F> {
  const problems: ConfigProblem[] = [];
  const failed = new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.fields)) {
    const fromEnv = !isUnset(env[name]);
    const raw = fromEnv ? env[name] : file[name];
    if (isUnset(raw)) {
      if (f.meta.required) {
        failed.add(name);
        problems.push({
          variables: [name],
          message: f.meta.expects,
          actual: "not set",
          fix: `set ${name}=${f.meta.example}`,
        });
      } else {
        out[name] = f.meta.defaultValue;
      }
      continue;
    }
    const result = f.parse(raw);
    if (result.ok) {
      out[name] = result.value;
      continue;
    }
    failed.add(name);
    const where = fromEnv ? "" : ` in ${options.fileName ?? "the config file"}`;
    const detail = result.detail ? `: ${result.detail}` : "";
    problems.push({
      variables: [name],
      message: f.meta.expects,
      actual: `got ${showRaw(raw, f.meta.secret, (v) => f.show(v))}${where}${detail}`,
      fix: `set ${name}=${f.meta.example}`,
    });
  }
  const config = out as ConfigOf<F>;
  for (const check of spec.checks) {
    if (check.uses.some((name) => failed.has(name))) continue;
    problems.push(...check.run(config));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A copy of `config` safe to log: secrets replaced by {@link REDACTED}, URL passwords removed. */
export function redactConfig<F extends Fields>(
  spec: ConfigSpec<F>,
  config: ConfigOf<F>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.fields)) {
    const value = (config as Record<string, unknown>)[name];
    out[name] = value === undefined ? undefined : f.show(value);
  }
  return out;
}

/** One line per variable for `--help` output and docs. */
export function describeConfig<F extends Fields>(spec: ConfigSpec<F>): readonly string[] {
  return Object.entries(spec.fields).map(([name, f]) => {
    const { meta } = f;
    const presence = meta.hasDefault
      ? `default ${meta.secret ? REDACTED : JSON.stringify(f.show(meta.defaultValue))}`
      : meta.required
      ? "required"
      : "optional";
    const about = meta.description ? ` ${meta.description}` : "";
    return `${name} (${meta.kind}, ${presence}${meta.secret ? ", secret" : ""})${about}`;
  });
}

/** Parses config-file text (YAML, which includes JSON) into a flat mapping of variable names. */
export function parseConfigFile(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    // The parser's message quotes the offending source line, which may hold a secret; report position only.
    if (err instanceof YAMLError) {
      const pos = err.linePos?.[0];
      throw new Error(`is not valid YAML or JSON${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}`);
    }
    throw err;
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error("must contain a mapping of NAME: value");
  return doc as Record<string, unknown>;
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives human-readable lines (problems, warnings); defaults to stderr. */
  readonly log?: (line: string) => void;
  readonly exit?: (code: number) => never;
  /** Variable naming the optional config file. */
  readonly fileVariable?: string;
  readonly readTextFile?: (path: string) => string;
}

/** Exit status used when configuration is invalid (EX_CONFIG from sysexits.h). */
export const CONFIG_EXIT_CODE = 78;

function readFileProblem(fileVariable: string, path: string, err: unknown): ConfigProblem {
  const reason = err instanceof Deno.errors.NotFound
    ? "no such file"
    : err instanceof Error
    ? err.message
    : String(err);
  return {
    variables: [fileVariable],
    message: "must name a readable YAML or JSON file",
    actual: `got ${JSON.stringify(path)}: ${reason}`,
    fix: `set ${fileVariable}=/etc/app/config.yaml or unset it`,
  };
}

/**
 * Reads env and the optional config file, returns the typed config, or prints every problem and
 * exits with {@link CONFIG_EXIT_CODE}.
 */
export function loadConfig<F extends Fields>(
  spec: ConfigSpec<F>,
  options: LoadConfigOptions = {},
): ConfigOf<F> {
  const env = options.env ?? Deno.env.toObject();
  const log = options.log ?? ((line: string) => console.error(line));
  const fileVariable = options.fileVariable ?? "CONFIG_FILE";
  const readTextFile = options.readTextFile ?? Deno.readTextFileSync;
  const path = env[fileVariable]?.trim();
  let file: Record<string, unknown> = {};
  let fileProblem: ConfigProblem | undefined;
  if (path) {
    try {
      file = parseConfigFile(readTextFile(path));
    } catch (err) {
      fileProblem = readFileProblem(fileVariable, path, err);
    }
  }
  for (const key of Object.keys(file)) {
    if (!(key in spec.fields)) log(`warning: ${path} sets ${key}, which is not a known setting; ignoring it`);
  }
  try {
    const config = parseConfig(spec, env, file, { fileName: path });
    if (!fileProblem) return config;
    throw new ConfigError([fileProblem]);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const all = fileProblem && !err.problems.includes(fileProblem)
      ? new ConfigError([fileProblem, ...err.problems])
      : err;
    log(all.message);
    const exit = options.exit ?? Deno.exit;
    exit(CONFIG_EXIT_CODE);
    // Only reached when an injected exit returns instead of ending the process.
    throw all;
  }
}

/** SASL mechanisms supported by kafkajs without plugins. */
export const SASL_MECHANISMS = ["none", "plain", "scram-sha-256", "scram-sha-512"] as const;

/** Field types of {@link kafkaConfigSpec}; spelled out because exported symbols need explicit types. */
export type KafkaFields = {
  readonly KAFKA_BROKERS: Field<readonly string[]>;
  readonly KAFKA_CLIENT_ID: Field<string>;
  readonly KAFKA_SASL_MECHANISM: Field<typeof SASL_MECHANISMS[number]>;
  readonly KAFKA_SASL_USERNAME: Field<string | undefined>;
  readonly KAFKA_SASL_PASSWORD: Field<string | undefined>;
  readonly KAFKA_TLS: Field<boolean>;
  readonly KAFKA_TLS_CA_FILE: Field<string | undefined>;
  readonly KAFKA_TLS_CERT_FILE: Field<string | undefined>;
  readonly KAFKA_TLS_KEY_FILE: Field<string | undefined>;
  readonly KAFKA_TLS_INSECURE: Field<boolean>;
  readonly KAFKA_CONNECTION_TIMEOUT: Field<number>;
  readonly KAFKA_REQUEST_TIMEOUT: Field<number>;
  readonly KAFKA_RETRIES: Field<number>;
  readonly KAFKA_RETRY_INITIAL: Field<number>;
};

const kafkaFields: KafkaFields = {
  KAFKA_BROKERS: brokers().describe("bootstrap brokers"),
  KAFKA_CLIENT_ID: str().default("kafka-edge").describe("client id reported to the brokers"),
  KAFKA_SASL_MECHANISM: oneOf(SASL_MECHANISMS).default("none"),
  KAFKA_SASL_USERNAME: str().optional().example("<username>"),
  KAFKA_SASL_PASSWORD: str().optional().secret().example("<password>"),
  KAFKA_TLS: bool().default(false).describe("connect with TLS"),
  KAFKA_TLS_CA_FILE: filePath().optional().example("/etc/kafka/ca.pem").describe("PEM CA bundle"),
  KAFKA_TLS_CERT_FILE: filePath().optional().example("/etc/kafka/client.pem").describe("PEM client cert"),
  KAFKA_TLS_KEY_FILE: filePath().optional().example("/etc/kafka/client.key").describe("PEM client key"),
  KAFKA_TLS_INSECURE: bool().default(false).describe("skip broker certificate verification (testing only)"),
  KAFKA_CONNECTION_TIMEOUT: duration({ min: 1 }).default(3_000),
  KAFKA_REQUEST_TIMEOUT: duration({ min: 1 }).default(30_000),
  KAFKA_RETRIES: int({ min: 0, max: 100 }).default(5).example("5"),
  KAFKA_RETRY_INITIAL: duration({ min: 1 }).default(300),
};

/** Parsed Kafka connection settings. */
export type KafkaSettings = ConfigOf<KafkaFields>;

function joinWords(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

const saslCheck: ConfigCheck<KafkaSettings> = {
  uses: ["KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"],
  run(c) {
    const given = (["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const).filter((n) => c[n] !== undefined);
    if (c.KAFKA_SASL_MECHANISM === "none") {
      if (given.length === 0) return [];
      return [{
        variables: ["KAFKA_SASL_MECHANISM"],
        message: `must name a mechanism when ${joinWords(given)} ${given.length > 1 ? "are" : "is"} set`,
        actual: 'got "none"',
        fix: "set KAFKA_SASL_MECHANISM=plain, scram-sha-256 or scram-sha-512",
      }];
    }
    const missing = (["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const).filter((n) =>
      c[n] === undefined
    );
    if (missing.length === 0) return [];
    return [{
      variables: missing,
      message: `required when KAFKA_SASL_MECHANISM=${c.KAFKA_SASL_MECHANISM}`,
      actual: "not set",
      fix: `set ${joinWords(missing.map((n) => `${n}=${kafkaFields[n].meta.example}`))}`,
    }];
  },
};

const tlsCheck: ConfigCheck<KafkaSettings> = {
  uses: ["KAFKA_TLS", "KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE", "KAFKA_TLS_INSECURE"],
  run(c) {
    const problems: ConfigProblem[] = [];
    const tlsOnly = (["KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"] as const)
      .filter((n) => c[n] !== undefined);
    const used = c.KAFKA_TLS_INSECURE ? [...tlsOnly, "KAFKA_TLS_INSECURE"] : tlsOnly;
    // Silently ignoring TLS settings would connect in plain text while the operator believes otherwise.
    if (!c.KAFKA_TLS && used.length > 0) {
      problems.push({
        variables: ["KAFKA_TLS"],
        message: `must be true when ${joinWords(used)} ${used.length > 1 ? "are" : "is"} set`,
        actual: "got false",
        fix: "set KAFKA_TLS=true",
      });
    }
    const cert = c.KAFKA_TLS_CERT_FILE !== undefined;
    const key = c.KAFKA_TLS_KEY_FILE !== undefined;
    if (cert !== key) {
      const [present, absent] = cert
        ? ["KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"] as const
        : ["KAFKA_TLS_KEY_FILE", "KAFKA_TLS_CERT_FILE"] as const;
      problems.push({
        variables: ["KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"],
        message: "must be set together for client-certificate authentication",
        actual: `only ${present} is set`,
        fix: `set ${absent}=${kafkaFields[absent].meta.example}`,
      });
    }
    return problems;
  },
};

/** Reusable Kafka connection settings; extend with service-specific fields via {@link extendConfig}. */
export const kafkaConfigSpec: ConfigSpec<KafkaFields> = defineConfig(kafkaFields, [saslCheck, tlsCheck]);
