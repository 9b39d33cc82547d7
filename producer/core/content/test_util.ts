/**
 * Contexts and helpers for the decoder tests: a fixed clock and a counter for ids, so output is
 * deterministic and a test can tell a generated id from a client-supplied one.
 *
 * @module
 */
import type { DecodeContext, DecodedEvent, DecodeLimits, DecodeResult, TopicConfig } from "../types.ts";

/** A fixed receive time far from the real one. */
export const NOW: Date = new Date("2031-01-01T12:00:00.000Z");

/** Generous limits; tests override what they exercise. */
export const LIMITS: DecodeLimits = { maxEvents: 100, maxDepth: 32, maxEventBytes: 64 * 1024 };

/** Options for {@link testContext}. */
export interface ContextOptions {
  readonly topic?: Partial<TopicConfig>;
  readonly headers?: HeadersInit;
  readonly limits?: Partial<DecodeLimits>;
}

/** A context whose `newId` yields `gen-1`, `gen-2`, … */
export function testContext(options: ContextOptions = {}): DecodeContext {
  let counter = 0;
  return {
    topic: { name: "orders", ...options.topic },
    headers: new Headers(options.headers),
    limits: { ...LIMITS, ...options.limits },
    now: NOW,
    newId: () => `gen-${++counter}`,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Text of a record part. */
export function text(value: Uint8Array | string | null): string | null {
  return value === null ? null : typeof value === "string" ? value : decoder.decode(value);
}

/** The events of a successful result; fails the test with the problem otherwise. */
export function events(result: DecodeResult): readonly DecodedEvent[] {
  if (!result.ok) throw new Error(`expected events, got ${JSON.stringify(result.problem)}`);
  return result.events;
}

/** The problem of a failed result; fails the test otherwise. */
export function problem(result: DecodeResult): Extract<DecodeResult, { ok: false }>["problem"] {
  if (result.ok) throw new Error(`expected a problem, got ${result.events.length} events`);
  return result.problem;
}

/** Record headers as `name: text` pairs (binary values decoded as UTF-8). */
export function headerMap(event: DecodedEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of event.record.headers) out[name] = text(value)!;
  return out;
}
