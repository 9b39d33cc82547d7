import assert from "node:assert/strict";
import {
  decodeUtf8,
  invalidUtf8Offset,
  jsonSyntaxError,
  lineColumn,
  parseJson,
  scanJson,
  type ScanResult,
} from "./json.ts";

function ok(result: ScanResult) {
  if (!result.ok) throw new Error(`expected a valid scan, got ${JSON.stringify(result.problem)}`);
  return result;
}

function fail(result: ScanResult) {
  if (result.ok) throw new Error("expected the scan to fail");
  return result.problem;
}

function v8Error(text: string): Error {
  try {
    JSON.parse(text);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`JSON.parse accepted ${JSON.stringify(text)}`);
}

Deno.test("json scanner returns each top-level array element's exact text, big integers included", () => {
  const text = ' [ {"id": 12345678901234567890}, "a,]b" , [1, [2]],-0.5e+3,null ] ';
  const scan = ok(scanJson(text, { maxDepth: 8 }));
  assert.equal(scan.kind, "array");
  assert.deepEqual(scan.elements.map((s) => text.slice(s.start, s.end)), [
    '{"id": 12345678901234567890}',
    '"a,]b"',
    "[1, [2]]",
    "-0.5e+3",
    "null",
  ]);
  assert.equal(text.slice(scan.value.start, scan.value.end), text.trim());
});

Deno.test("json scanner returns top-level object members with unescaped names, duplicates kept", () => {
  const text = '{"a\\u0062": 1, "data": {"x": [1]}, "a\\u0062": "two"}';
  const scan = ok(scanJson(text, { maxDepth: 8 }));
  assert.deepEqual(scan.members.map((m) => [m.name, text.slice(m.value.start, m.value.end)]), [
    ["ab", "1"],
    ["data", '{"x": [1]}'],
    ["ab", '"two"'],
  ]);
  assert.deepEqual(scan.elements, []);
});

Deno.test("json scanner rejects nesting deeper than maxDepth with the position of the opening bracket", () => {
  const problem = fail(scanJson('{"a": [[1]]}', { maxDepth: 2 }));
  assert.equal(problem.status, 400);
  assert.equal(problem.code, "bad_request");
  assert.deepEqual(problem.details, { position: 7, line: 1, column: 8, maxDepth: 2 });
  assert.match(problem.message, /nested deeper than 2 levels at line 1 column 8/);
  ok(scanJson('{"a": [[1]]}', { maxDepth: 3 }));
  ok(scanJson("1", { maxDepth: 0 }));
  assert.equal(fail(scanJson("[]", { maxDepth: 0 })).status, 400);
});

Deno.test("json scanner handles a million levels of nesting without recursion", () => {
  const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
  assert.deepEqual(fail(scanJson(deep, { maxDepth: 64 })).details, {
    position: 64,
    line: 1,
    column: 65,
    maxDepth: 64,
  });
  assert.equal(ok(scanJson(deep, { maxDepth: Infinity })).kind, "array");
});

Deno.test("json scanner answers 413 once a top-level array exceeds maxEvents", () => {
  const problem = fail(scanJson("[1,2,3]", { maxDepth: 4, maxEvents: 2 }));
  assert.equal(problem.status, 413);
  assert.equal(problem.code, "payload_too_large");
  assert.deepEqual(problem.details, { maxEvents: 2 });
  assert.equal(ok(scanJson("[1,2]", { maxDepth: 4, maxEvents: 2 })).elements.length, 2);
});

Deno.test("json scanner rejects lone surrogates, escaped or raw, and accepts proper pairs", () => {
  for (const text of ['"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800x"', '"\ud800"', '"a\udfff"']) {
    const problem = fail(scanJson(text, { maxDepth: 1 }));
    assert.match(problem.message, /lone surrogate/, text);
    assert.equal(
      (problem.details as { position: number }).position,
      text.indexOf("\\") === -1 ? text.search(/[\ud800-\udfff]/) : 1,
    );
  }
  ok(scanJson('"\\ud83d\\ude00 \ud83d\ude00"', { maxDepth: 1 }));
});

Deno.test("json scanner reports the same position as V8 for every error V8 positions", () => {
  const cases = [
    '{"a":1,}',
    '{"a":1',
    "[1,2",
    '"abc',
    '{"a" 1}',
    "1 2",
    "[1,]",
    "[01]",
    "-",
    "1.",
    "1e",
    '"\\x"',
    '"a\tb"',
    '{\n  "a": 1,\n  "b" 2\n}',
    '{"a":1}}',
    "nul",
    "[tru]",
  ];
  for (const text of cases) {
    const problem = fail(scanJson(text, { maxDepth: 8 }));
    const v8 = jsonSyntaxError(text, v8Error(text));
    const details = problem.details as { position: number; line: number; column: number };
    assert.equal(details.position, v8.position, `position for ${JSON.stringify(text)}`);
    assert.equal(details.line, v8.line, `line for ${JSON.stringify(text)}`);
    assert.equal(details.column, v8.column, `column for ${JSON.stringify(text)}`);
  }
});

Deno.test("json scanner accepts exactly what JSON.parse accepts on random texts", () => {
  const alphabet = [
    "{",
    "}",
    "[",
    "]",
    '"',
    ":",
    ",",
    " ",
    "1",
    "0",
    "-",
    ".",
    "e",
    "t",
    "true",
    "null",
    '"k"',
    "\\",
    "\n",
    "x",
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let valid = 0;
  for (let n = 0; n < 20_000; n++) {
    let text = "";
    const length = 1 + Math.floor(random() * 10);
    for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    if (parses) valid++;
    assert.equal(scanJson(text, { maxDepth: Infinity }).ok, parses, JSON.stringify(text));
  }
  assert.ok(valid > 100, `only ${valid} valid samples; the generator is too weak`);
});

Deno.test("json syntax errors take V8's position and line/column, and the scanner's where V8 gives none", () => {
  const text = '{\n  "a": 1,\n  "b": x\n}';
  const message = v8Error(text).message;
  assert.doesNotMatch(message, /position/, "V8 no longer omits the position; simplify jsonSyntaxError");
  assert.deepEqual(jsonSyntaxError(text, v8Error(text)), {
    position: 19,
    line: 3,
    column: 8,
    message: "Unexpected token 'x'",
  });
  const positioned = '{"a":1,\r\n"b" 2}';
  const v8 = v8Error(positioned).message;
  const [, line, column] = /\(line (\d+) column (\d+)\)/.exec(v8)!;
  const mapped = jsonSyntaxError(positioned, v8Error(positioned));
  assert.deepEqual([mapped.line, mapped.column], [Number(line), Number(column)]);
  assert.equal(mapped.message, "Expected ':' after property name");
  assert.equal(jsonSyntaxError("", v8Error("")).position, 0);
  assert.equal(jsonSyntaxError("[1", v8Error("[1")).position, 2);
});

Deno.test("parseJson turns a SyntaxError into a 400 with position, line and column", () => {
  const result = parseJson('{"a": tru}');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.problem.status, 400);
  assert.deepEqual(result.problem.details, { position: 9, line: 1, column: 10 });
  assert.equal(result.problem.message, "malformed JSON at line 1 column 10: unexpected token '}'");
  assert.deepEqual(parseJson('{"n": 1}'), { ok: true, value: { n: 1 } });
});

Deno.test("lineColumn counts only LF as a line break and columns from 1", () => {
  assert.deepEqual(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
  assert.deepEqual(lineColumn("ab\r\ncd", 4), { line: 2, column: 1 });
  assert.deepEqual(lineColumn("", 0), { line: 1, column: 1 });
});

Deno.test("utf-8 decoding rejects invalid bytes with the offset of the first bad byte", () => {
  const cases: [number[], number][] = [
    [[0x41, 0xff, 0x41], 1],
    [[0x41, 0xc0, 0x80], 1], // overlong NUL
    [[0x22, 0xed, 0xa0, 0x80, 0x22], 1], // UTF-8-encoded lone surrogate U+D800
    [[0x41, 0x42, 0xe2, 0x82], 2], // truncated euro sign
    [[0xf4, 0x90, 0x80, 0x80], 0], // beyond U+10FFFF
  ];
  for (const [input, offset] of cases) {
    const result = decodeUtf8(new Uint8Array(input));
    assert.equal(result.ok, false, String(input));
    if (result.ok) continue;
    assert.equal(result.problem.status, 400);
    assert.deepEqual(result.problem.details, { byteOffset: offset });
  }
  assert.deepEqual(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x31, 0xe2, 0x82, 0xac])), {
    ok: true,
    value: "1€",
  });
});

Deno.test("invalidUtf8Offset agrees with the fatal TextDecoder on random bytes", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const interesting = [
    0x00,
    0x41,
    0x7f,
    0x80,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xff,
    0xa0,
    0x9f,
    0x90,
  ];
  for (let n = 0; n < 20_000; n++) {
    const input = Uint8Array.from(
      { length: 1 + Math.floor(random() * 6) },
      () => interesting[Math.floor(random() * interesting.length)],
    );
    let valid = true;
    try {
      fatal.decode(input);
    } catch {
      valid = false;
    }
    assert.equal(invalidUtf8Offset(input) === -1, valid, String(input));
  }
});
