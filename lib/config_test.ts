import assert from "node:assert/strict";
import {
  bool,
  brokers,
  CONFIG_EXIT_CODE,
  ConfigError,
  defineConfig,
  describeConfig,
  duration,
  extendConfig,
  filePath,
  int,
  kafkaConfigSpec,
  list,
  loadConfig,
  oneOf,
  parseConfig,
  parseConfigFile,
  parseDuration,
  redactConfig,
  str,
  url,
} from "./config.ts";
import { createLogger, REDACTED } from "./log.ts";

const SECRET = "s3cr3t-Pa55word-zz";

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  assert.fail("expected a ConfigError");
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const fakeExit = (code: number): never => {
  throw new ExitCalled(code);
};

Deno.test("parseConfig returns typed values with defaults applied", () => {
  const spec = defineConfig({
    PORT: int({ min: 1, max: 65535 }).default(8080),
    NAME: str(),
    DEBUG: bool().default(false),
    TIMEOUT: duration().default(1_000),
    MODE: oneOf(["fast", "safe"]).default("safe"),
    TAGS: list().optional(),
    ENDPOINT: url({ protocols: ["https:"] }).optional(),
  });
  const cfg = parseConfig(spec, { NAME: "edge", DEBUG: "YES", TIMEOUT: "2m", MODE: "FAST", TAGS: "a, b,," });
  assert.deepEqual(cfg, {
    PORT: 8080,
    NAME: "edge",
    DEBUG: true,
    TIMEOUT: 120_000,
    MODE: "fast",
    TAGS: ["a", "b"],
    ENDPOINT: undefined,
  });
});

Deno.test("parseConfig reports every invalid variable at once", () => {
  const spec = defineConfig({
    PORT: int({ min: 1, max: 65535 }),
    NAME: str(),
    DEBUG: bool(),
    TIMEOUT: duration(),
    MODE: oneOf(["fast", "safe"]),
    KAFKA_BROKERS: brokers(),
  });
  const lines = problemsOf(() =>
    parseConfig(spec, {
      PORT: "70000",
      DEBUG: "maybe",
      TIMEOUT: "5 minutes",
      MODE: "slow",
      KAFKA_BROKERS: "x",
    })
  );
  assert.deepEqual(lines, [
    'PORT: must be an integer between 1 and 65535; got "70000" (set PORT=1)',
    "NAME: must be a non-empty string; not set (set NAME=value)",
    'DEBUG: must be true or false; got "maybe" (set DEBUG=true)',
    'TIMEOUT: must be a duration like 500ms, 5s or 2m; got "5 minutes" (set TIMEOUT=5s)',
    'MODE: must be one of fast, safe; got "slow" (set MODE=fast)',
    'KAFKA_BROKERS: must be host:port[,host:port]; got "x": "x" is not host:port ' +
    "(set KAFKA_BROKERS=broker1:9092,broker2:9092)",
  ]);
});

Deno.test("ConfigError message lists the count and each problem on its own line", () => {
  const spec = defineConfig({ A: str(), B: str() });
  try {
    parseConfig(spec, {});
    assert.fail("expected a ConfigError");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 2);
    assert.match(err.message, /^invalid configuration \(2 problems\):\n {2}A: .*\n {2}B: /);
  }
});

Deno.test("empty strings count as not set", () => {
  const spec = defineConfig({ A: str().default("fallback"), B: str() });
  assert.deepEqual(problemsOf(() => parseConfig(spec, { A: "", B: "  " })), [
    "B: must be a non-empty string; not set (set B=value)",
  ]);
  assert.equal(parseConfig(spec, { A: "", B: "x" }).A, "fallback");
});

Deno.test("brokers accepts hostnames, IPv4 and bracketed IPv6 and rejects bad ports", () => {
  const spec = defineConfig({ B: brokers() });
  assert.deepEqual(parseConfig(spec, { B: "kafka-0.kafka:9092, 10.0.0.1:9093,[::1]:9094" }).B, [
    "kafka-0.kafka:9092",
    "10.0.0.1:9093",
    "[::1]:9094",
  ]);
  for (const bad of ["kafka", "kafka:0", "kafka:65536", "kafka:port", "a b:1"]) {
    assert.equal(problemsOf(() => parseConfig(spec, { B: bad })).length, 1, bad);
  }
});

Deno.test("parseDuration accepts unit suffixes and bare integer milliseconds", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("5s"), 5_000);
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("250"), 250);
  assert.equal(parseDuration("2.5"), undefined);
  assert.equal(parseDuration("-1s"), undefined);
  assert.equal(parseDuration("5d"), undefined);
});

Deno.test("secret values never appear in configuration errors", () => {
  const spec = defineConfig({ TOKEN: int().secret(), NAME: int() });
  const lines = problemsOf(() => parseConfig(spec, { TOKEN: SECRET, NAME: "visible" }));
  assert.deepEqual(lines, [
    `TOKEN: must be an integer; got ${REDACTED} (set TOKEN=<secret>)`,
    'NAME: must be an integer; got "visible" (set NAME=1)',
  ]);
});

Deno.test("url passwords are hidden in errors and in redactConfig", () => {
  const spec = defineConfig({ U: url({ protocols: ["https:"] }) });
  const lines = problemsOf(() => parseConfig(spec, { U: `http://bob:${SECRET}@example.com/` }));
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0], new RegExp(SECRET));
  const cfg = parseConfig(spec, { U: `https://bob:${SECRET}@example.com/` });
  assert.equal(cfg.U, `https://bob:${SECRET}@example.com/`);
  assert.doesNotMatch(JSON.stringify(redactConfig(spec, cfg)), new RegExp(SECRET));
});

Deno.test("redactConfig replaces secrets and keeps everything else", () => {
  const cfg = parseConfig(kafkaConfigSpec, {
    KAFKA_BROKERS: "k:9092",
    KAFKA_SASL_MECHANISM: "plain",
    KAFKA_SASL_USERNAME: "edge",
    KAFKA_SASL_PASSWORD: SECRET,
  });
  assert.equal(cfg.KAFKA_SASL_PASSWORD, SECRET);
  const shown = redactConfig(kafkaConfigSpec, cfg);
  assert.equal(shown.KAFKA_SASL_PASSWORD, REDACTED);
  assert.equal(shown.KAFKA_SASL_USERNAME, "edge");
  assert.deepEqual(shown.KAFKA_BROKERS, ["k:9092"]);
  assert.doesNotMatch(JSON.stringify(shown), new RegExp(SECRET));
});

Deno.test("secrets never reach the log, whether or not the config was redacted first", () => {
  const lines: string[] = [];
  const log = createLogger({ sink: (l) => lines.push(l) });
  const cfg = parseConfig(kafkaConfigSpec, {
    KAFKA_BROKERS: "k:9092",
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: "edge",
    KAFKA_SASL_PASSWORD: SECRET,
  });
  log.info("config loaded", { config: redactConfig(kafkaConfigSpec, cfg) });
  log.info("config loaded carelessly", { config: cfg });
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.doesNotMatch(line, new RegExp(SECRET));
    assert.match(line, /scram-sha-512/);
  }
});

Deno.test("file values fill in where env is unset and env wins where both are set", () => {
  const spec = defineConfig({ A: str(), B: int(), C: bool().default(false), D: list() });
  const cfg = parseConfig(spec, { A: "from-env" }, { A: "from-file", B: 7, C: true, D: ["x", "y"] });
  assert.deepEqual(cfg, { A: "from-env", B: 7, C: true, D: ["x", "y"] });
});

Deno.test("problems with file values name the file", () => {
  const spec = defineConfig({ B: int() });
  assert.deepEqual(problemsOf(() => parseConfig(spec, {}, { B: "seven" }, { fileName: "/etc/app.yaml" })), [
    'B: must be an integer; got "seven" in /etc/app.yaml (set B=1)',
  ]);
});

Deno.test("filePath checks that the file exists", () => {
  const existing = Deno.makeTempFileSync();
  try {
    const spec = defineConfig({ F: filePath(), G: filePath({ mustExist: false }) });
    assert.equal(parseConfig(spec, { F: existing, G: "/nope" }).F, existing);
    assert.deepEqual(problemsOf(() => parseConfig(spec, { F: "/definitely/missing.pem", G: "/nope" })), [
      'F: must be the path of an existing file; got "/definitely/missing.pem": no such file (set F=/path/to/file)',
    ]);
  } finally {
    Deno.removeSync(existing);
  }
});

Deno.test("kafkaConfigSpec applies defaults for everything except brokers", () => {
  const cfg = parseConfig(kafkaConfigSpec, { KAFKA_BROKERS: "a:9092,b:9092" });
  assert.deepEqual(cfg, {
    KAFKA_BROKERS: ["a:9092", "b:9092"],
    KAFKA_CLIENT_ID: "kafka-edge",
    KAFKA_SASL_MECHANISM: "none",
    KAFKA_SASL_USERNAME: undefined,
    KAFKA_SASL_PASSWORD: undefined,
    KAFKA_TLS: false,
    KAFKA_TLS_CA_FILE: undefined,
    KAFKA_TLS_CERT_FILE: undefined,
    KAFKA_TLS_KEY_FILE: undefined,
    KAFKA_TLS_INSECURE: false,
    KAFKA_CONNECTION_TIMEOUT: 3_000,
    KAFKA_REQUEST_TIMEOUT: 30_000,
    KAFKA_RETRIES: 5,
    KAFKA_RETRY_INITIAL: 300,
  });
});

Deno.test("kafkaConfigSpec names both credentials when a SASL mechanism has neither", () => {
  const lines = problemsOf(() =>
    parseConfig(kafkaConfigSpec, { KAFKA_BROKERS: "k:9092", KAFKA_SASL_MECHANISM: "plain" })
  );
  assert.deepEqual(lines, [
    "KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM=plain; not set " +
    "(set KAFKA_SASL_USERNAME=<username> and KAFKA_SASL_PASSWORD=<password>)",
  ]);
});

Deno.test("kafkaConfigSpec rejects credentials without a mechanism, without echoing the password", () => {
  const lines = problemsOf(() =>
    parseConfig(kafkaConfigSpec, {
      KAFKA_BROKERS: "k:9092",
      KAFKA_SASL_USERNAME: "u",
      KAFKA_SASL_PASSWORD: SECRET,
    })
  );
  assert.deepEqual(lines, [
    "KAFKA_SASL_MECHANISM: must name a mechanism when KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are set; " +
    'got "none" (set KAFKA_SASL_MECHANISM=plain, scram-sha-256 or scram-sha-512)',
  ]);
});

Deno.test("kafkaConfigSpec requires KAFKA_TLS for TLS files and cert and key together", () => {
  const cert = Deno.makeTempFileSync();
  try {
    const lines = problemsOf(() =>
      parseConfig(kafkaConfigSpec, {
        KAFKA_BROKERS: "k:9092",
        KAFKA_TLS_CERT_FILE: cert,
        KAFKA_TLS_INSECURE: "1",
      })
    );
    assert.deepEqual(lines, [
      "KAFKA_TLS: must be true when KAFKA_TLS_CERT_FILE and KAFKA_TLS_INSECURE are set; got false (set KAFKA_TLS=true)",
      "KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE: must be set together for client-certificate authentication; " +
      "only KAFKA_TLS_CERT_FILE is set (set KAFKA_TLS_KEY_FILE=/etc/kafka/client.key)",
    ]);
  } finally {
    Deno.removeSync(cert);
  }
});

Deno.test("cross-field checks are skipped when a variable they use is itself invalid", () => {
  const lines = problemsOf(() =>
    parseConfig(kafkaConfigSpec, { KAFKA_BROKERS: "nope", KAFKA_SASL_MECHANISM: "kerberos" })
  );
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^KAFKA_BROKERS: /);
  assert.match(lines[1], /^KAFKA_SASL_MECHANISM: must be one of none, plain, scram-sha-256, scram-sha-512;/);
});

Deno.test("extendConfig overrides base fields and keeps base checks", () => {
  const spec = extendConfig(kafkaConfigSpec, {
    KAFKA_CLIENT_ID: str().default("edge-producer"),
    PORT: int(),
  });
  const cfg = parseConfig(spec, { KAFKA_BROKERS: "k:9092", PORT: "80" });
  assert.equal(cfg.KAFKA_CLIENT_ID, "edge-producer");
  assert.equal(cfg.PORT, 80);
  const lines = problemsOf(() =>
    parseConfig(spec, { KAFKA_BROKERS: "k:9092", PORT: "80", KAFKA_SASL_MECHANISM: "plain" })
  );
  assert.match(lines[0], /^KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: required/);
});

Deno.test("describeConfig documents each variable without revealing secret defaults", () => {
  const spec = defineConfig({
    PORT: int().default(8080).describe("listen port"),
    KEY: str().secret().default(SECRET),
  });
  assert.deepEqual(describeConfig(spec), [
    "PORT (integer, default 8080) listen port",
    `KEY (string, default ${REDACTED}, secret)`,
  ]);
});

Deno.test("parseConfigFile reads YAML and JSON and rejects non-mappings without quoting content", () => {
  assert.deepEqual(parseConfigFile("A: 1\nB: [x, y]\n"), { A: 1, B: ["x", "y"] });
  assert.deepEqual(parseConfigFile('{"A": "x"}'), { A: "x" });
  assert.deepEqual(parseConfigFile(""), {});
  assert.throws(() => parseConfigFile("- a\n- b\n"), /mapping/);
  assert.throws(
    () => parseConfigFile(`PASSWORD: "${SECRET}\n`),
    (err: Error) => /not valid YAML or JSON at line \d+/.test(err.message) && !err.message.includes(SECRET),
  );
});

Deno.test("loadConfig reads the file named by CONFIG_FILE and lets env override it", () => {
  const spec = defineConfig({ A: str(), B: int() });
  const logged: string[] = [];
  const cfg = loadConfig(spec, {
    env: { CONFIG_FILE: "/etc/app.yaml", A: "env" },
    readTextFile: (path) => (path === "/etc/app.yaml" ? "A: file\nB: 3\nTYPO: 1\n" : assert.fail(path)),
    log: (l) => logged.push(l),
    exit: fakeExit,
  });
  assert.deepEqual(cfg, { A: "env", B: 3 });
  assert.deepEqual(logged, ["warning: /etc/app.yaml sets TYPO, which is not a known setting; ignoring it"]);
});

Deno.test("loadConfig prints every problem, including an unreadable file, then exits non-zero", () => {
  const spec = defineConfig({ A: str(), PASSWORD: int().secret() });
  const logged: string[] = [];
  assert.throws(
    () =>
      loadConfig(spec, {
        env: { CONFIG_FILE: "/missing.yaml", PASSWORD: SECRET },
        readTextFile: () => {
          throw new Deno.errors.NotFound("nope");
        },
        log: (l) => logged.push(l),
        exit: fakeExit,
      }),
    (err) => err instanceof ExitCalled && err.code === CONFIG_EXIT_CODE,
  );
  assert.equal(logged.length, 1);
  const text = logged[0];
  assert.match(text, /^invalid configuration \(3 problems\):/);
  assert.match(
    text,
    /CONFIG_FILE: must name a readable YAML or JSON file; got "\/missing.yaml": no such file/,
  );
  assert.match(text, /A: must be a non-empty string; not set/);
  assert.match(text, /PASSWORD: must be an integer; got <redacted>/);
  assert.doesNotMatch(text, new RegExp(SECRET));
});

Deno.test("loadConfig reports a bad file even when env alone is valid", () => {
  const spec = defineConfig({ A: str() });
  const logged: string[] = [];
  assert.throws(
    () =>
      loadConfig(spec, {
        env: { CONFIG_FILE: "/c.yaml", A: "x" },
        readTextFile: () => "[1, 2]",
        log: (l) => logged.push(l),
        exit: fakeExit,
      }),
    ExitCalled,
  );
  assert.match(
    logged[0],
    /CONFIG_FILE: must name a readable YAML or JSON file; got "\/c.yaml": must contain a mapping/,
  );
});
