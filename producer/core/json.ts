/**
 * A safe JSON front-end for untrusted request bodies.
 *
 * `scanJson` validates the full JSON grammar in one iterative pass, so a body nested a million levels
 * deep costs a loop, not a stack overflow, and the depth limit is enforced before any value is built.
 * It also reports where each element of a top-level array (or member of a top-level object) lies, so
 * an event's Kafka value can be the client's exact text: re-serialising a parsed value would round
 * integers beyond 2^53, silently changing ids and amounts.
 *
 * Positions are UTF-16 code-unit offsets into the decoded text (as V8 reports them); lines and
 * columns are 1-based, and only `\n` starts a new line.
 *
 * Strings must be valid Unicode (I-JSON, RFC 7493): a `\ud800` escape without its low half is
 * rejected, because it cannot be written as UTF-8 and would silently turn into U+FFFD in keys.
 *
 * @module
 */
import { tooManyEvents } from "./content/problem.ts";
import type { RequestProblem } from "./types.ts";

/** A half-open `[start, end)` range of code units in the scanned text. */
export interface JsonSpan {
  readonly start: number;
  readonly end: number;
}

/** A member of the top-level object: its unescaped name and where its value lies. */
export interface JsonMember {
  readonly name: string;
  readonly value: JsonSpan;
}

/** What to enforce while scanning. */
export interface ScanOptions {
  /** Deepest allowed nesting of arrays/objects; a bare scalar has depth 0, `[]` depth 1. */
  readonly maxDepth: number;
  /** Most elements a top-level array may hold (413 beyond); unlimited when absent. */
  readonly maxEvents?: number;
  /** Where `text` starts inside a larger body (e.g. an NDJSON line), so errors use body coordinates. */
  readonly origin?: { readonly position: number; readonly line: number };
}

/** The shape of a valid JSON text. */
export interface JsonScan {
  readonly ok: true;
  /** The top-level value without surrounding whitespace. */
  readonly value: JsonSpan;
  readonly kind: "object" | "array" | "string" | "number" | "literal";
  /** Elements of a top-level array, in order. */
  readonly elements: readonly JsonSpan[];
  /** Members of a top-level object, in order; duplicates are kept (JSON.parse keeps the last). */
  readonly members: readonly JsonMember[];
}

/** A scan either succeeds or says what is wrong, as a request problem. */
export type ScanResult = JsonScan | { readonly ok: false; readonly problem: RequestProblem };

/** Where and why a JSON text is malformed. */
export interface JsonSyntaxError {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Result of decoding or parsing; never an exception. */
export type JsonResult<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly problem: RequestProblem;
};

const ARRAY = 1;
const OBJECT = 2;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

class ScanFailure {
  constructor(readonly position: number, readonly reason: string, readonly depth = false) {}
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return i;
    i++;
  }
}

// Shows the offending character without echoing control or non-ASCII characters into responses.
function describeChar(text: string, i: number): string {
  if (i >= text.length) return "end of JSON input";
  const c = text.charCodeAt(i);
  if (c > 0x20 && c < 0x7f) return `token '${text[i]}'`;
  return `character U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
}

function hexAt(text: string, i: number): number {
  for (let k = i; k < i + 4; k++) if (!isHex(text.charCodeAt(k))) return -1;
  return parseInt(text.slice(i, i + 4), 16);
}

/** Returns the index after the closing quote of the string starting at `i`. */
function scanString(text: string, i: number): number | ScanFailure {
  i++;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (Number.isNaN(c)) return new ScanFailure(i, "unterminated string");
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      if (e === 0x75) {
        const unit = hexAt(text, i + 2);
        if (unit < 0) return new ScanFailure(i, "bad Unicode escape");
        if (unit >= 0xdc00 && unit <= 0xdfff) return new ScanFailure(i, "lone surrogate in Unicode escape");
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === 0x75
            ? hexAt(text, i + 8)
            : -1;
          if (low < 0xdc00 || low > 0xdfff) return new ScanFailure(i, "lone surrogate in Unicode escape");
          i += 12;
        } else i += 6;
      } else if (
        e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e ||
        e === 0x72 || e === 0x74
      ) {
        i += 2;
      } else return new ScanFailure(i + 1, "bad escaped character");
    } else if (c < 0x20) {
      return new ScanFailure(i, "bad control character in string literal");
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        return new ScanFailure(i, "lone surrogate in string");
      }
      i += 2;
    } else i++;
  }
}

function scanNumber(text: string, i: number): number | ScanFailure {
  if (text.charCodeAt(i) === MINUS) i++;
  const first = text.charCodeAt(i);
  if (first === ZERO) i++;
  else if (isDigit(first)) {
    while (isDigit(text.charCodeAt(i))) i++;
  } else return new ScanFailure(i, "no number after minus sign");
  if (text.charCodeAt(i) === DOT) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return new ScanFailure(i, "unterminated fractional number");
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === PLUS || sign === MINUS) i++;
    if (!isDigit(text.charCodeAt(i))) return new ScanFailure(i, "exponent part is missing a number");
    while (isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

/** 1-based line and column of a code-unit position. */
export function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, text.length);
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: position - lineStart + 1 };
}

function malformed(text: string, failure: ScanFailure, options: ScanOptions): RequestProblem {
  const { maxDepth, origin } = options;
  const local = lineColumn(text, failure.position);
  const line = local.line + (origin ? origin.line - 1 : 0);
  const column = local.column;
  const position = failure.position + (origin?.position ?? 0);
  if (failure.depth) {
    return {
      status: 400,
      code: "bad_request",
      message: `JSON is nested deeper than ${maxDepth} levels at line ${line} column ${column}`,
      details: { position, line, column, maxDepth },
    };
  }
  return {
    status: 400,
    code: "bad_request",
    message: `malformed JSON at line ${line} column ${column}: ${failure.reason}`,
    details: { position, line, column },
  };
}

/**
 * Validates `text` as one JSON value, enforcing nesting depth and the element count of a top-level
 * array, and returns where the top-level value and its children lie. Never throws.
 */
export function scanJson(text: string, options: ScanOptions): ScanResult {
  const result = scan(text, options);
  if (result instanceof ScanFailure) return { ok: false, problem: malformed(text, result, options) };
  return result;
}

function scan(text: string, options: ScanOptions): JsonScan | ScanFailure | ScanResult {
  const maxEvents = options.maxEvents ?? Infinity;
  const stack: number[] = [];
  const elements: JsonSpan[] = [];
  const members: JsonMember[] = [];
  let memberName = "";
  let childStart = 0;
  let i = skipWhitespace(text, 0);
  const start = i;
  const first = text.charCodeAt(i);
  const kind: JsonScan["kind"] = first === LBRACKET
    ? "array"
    : first === LBRACE
    ? "object"
    : first === QUOTE
    ? "string"
    : first === MINUS || isDigit(first)
    ? "number"
    : "literal";

  // Reads `"name" :` and leaves `i` at the member's value; the name is kept only at the top level.
  const readKey = (): ScanFailure | undefined => {
    if (text.charCodeAt(i) !== QUOTE) {
      return new ScanFailure(
        i,
        i >= text.length ? "unexpected end of JSON input" : "expected double-quoted property name",
      );
    }
    const end = scanString(text, i);
    if (end instanceof ScanFailure) return end;
    if (stack.length === 1) memberName = JSON.parse(text.slice(i, end));
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) !== COLON) return new ScanFailure(i, "expected ':' after property name");
    i = skipWhitespace(text, i + 1);
    return undefined;
  };

  for (;;) {
    // A value starts at i.
    if (stack.length === 1) childStart = i;
    const c = text.charCodeAt(i);
    let complete = true;
    if (c === LBRACKET || c === LBRACE) {
      if (stack.length >= options.maxDepth) return new ScanFailure(i, "", true);
      stack.push(c === LBRACKET ? ARRAY : OBJECT);
      i = skipWhitespace(text, i + 1);
      if (text.charCodeAt(i) === (c === LBRACKET ? RBRACKET : RBRACE)) {
        i++;
        stack.pop();
      } else if (c === LBRACKET) {
        complete = false;
      } else {
        const failure = readKey();
        if (failure) return failure;
        complete = false;
      }
    } else if (c === QUOTE) {
      const end = scanString(text, i);
      if (end instanceof ScanFailure) return end;
      i = end;
    } else if (c === MINUS || isDigit(c)) {
      const end = scanNumber(text, i);
      if (end instanceof ScanFailure) return end;
      i = end;
    } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const literal = c === 0x74 ? "true" : c === 0x66 ? "false" : "null";
      let k = 1;
      while (k < literal.length && text.charCodeAt(i + k) === literal.charCodeAt(k)) k++;
      i += k;
      if (k < literal.length) {
        return new ScanFailure(
          i,
          i >= text.length ? "unexpected end of JSON input" : `unexpected ${describeChar(text, i)}`,
        );
      }
    } else {
      return new ScanFailure(
        i,
        i >= text.length ? "unexpected end of JSON input" : `unexpected ${describeChar(text, i)}`,
      );
    }
    if (!complete) continue;

    // A value ended at i: record it if it is a top-level child, then close containers or move on.
    for (;;) {
      if (stack.length === 1) {
        const span = { start: childStart, end: i };
        if (stack[0] === ARRAY) {
          elements.push(span);
          if (elements.length > maxEvents) {
            return { ok: false, problem: tooManyEvents(maxEvents) };
          }
        } else members.push({ name: memberName, value: span });
      }
      if (stack.length === 0) {
        const end = i;
        i = skipWhitespace(text, i);
        if (i < text.length) return new ScanFailure(i, "unexpected non-whitespace character after JSON");
        return { ok: true, value: { start, end }, kind, elements, members };
      }
      i = skipWhitespace(text, i);
      const top = stack[stack.length - 1];
      const next = text.charCodeAt(i);
      if (next === COMMA) {
        i = skipWhitespace(text, i + 1);
        if (top === OBJECT) {
          const failure = readKey();
          if (failure) return failure;
        }
        break;
      }
      if (next === (top === ARRAY ? RBRACKET : RBRACE)) {
        i++;
        stack.pop();
        continue;
      }
      return new ScanFailure(
        i,
        top === ARRAY
          ? "expected ',' or ']' after array element"
          : "expected ',' or '}' after property value",
      );
    }
  }
}

/**
 * Where and why `JSON.parse` rejected `text`, from V8's message ("… in JSON at position N (line L
 * column C)"); V8 omits the position for an unexpected token, so the scanner finds it then.
 */
export function jsonSyntaxError(text: string, error: unknown): JsonSyntaxError {
  const raw = error instanceof Error ? error.message : String(error);
  let position: number | undefined;
  const at = /at position (\d+)/.exec(raw);
  if (at) position = Number(at[1]);
  else if (raw.startsWith("Unexpected end of JSON input")) position = text.length;
  let message = raw.replace(/ in JSON at position \d+[\s\S]*$/, "");
  const token = /^(Unexpected token '[\s\S]+?'), [\s\S]*is not valid JSON$/.exec(raw);
  if (token) message = token[1];
  if (position === undefined) {
    const scanned = scan(text, { maxDepth: Infinity });
    position = scanned instanceof ScanFailure ? scanned.position : 0;
  }
  return { position, ...lineColumn(text, position), message };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** `JSON.parse` with a malformed text as a 400 problem carrying position, line and column. */
export function parseJson(text: string): JsonResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const e = jsonSyntaxError(text, error);
    return {
      ok: false,
      problem: {
        status: 400,
        code: "bad_request",
        message: `malformed JSON at line ${e.line} column ${e.column}: ${lowerFirst(e.message)}`,
        details: { position: e.position, line: e.line, column: e.column },
      },
    };
  }
}

/** Byte offset of the first byte that breaks UTF-8 (overlongs and surrogates included), or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const extra = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (extra === 0) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (i + extra >= bytes.length) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k <= extra; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += extra + 1;
  }
  return -1;
}

/** Decodes a body as strict UTF-8 (a leading BOM is dropped); invalid bytes are a 400 with their offset. */
export function decodeUtf8(body: Uint8Array): JsonResult<string> {
  try {
    return { ok: true, value: strictUtf8.decode(body) };
  } catch {
    const byteOffset = Math.max(0, invalidUtf8Offset(body));
    return {
      ok: false,
      problem: {
        status: 400,
        code: "bad_request",
        message: `body is not valid UTF-8 (first invalid byte at offset ${byteOffset})`,
        details: { byteOffset },
      },
    };
  }
}
