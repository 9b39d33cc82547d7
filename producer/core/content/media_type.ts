/**
 * Content-Type parsing (RFC 9110 §8.3.1): `type/subtype *( OWS ";" OWS name=value )`, where a value is
 * a token or a quoted string. Names and the essence are case-insensitive and returned lower-case.
 *
 * @module
 */

/** A parsed media type. */
export interface MediaType {
  /** `type/subtype`, lower-case, without parameters. */
  readonly essence: string;
  /** Parameters by lower-case name; the first occurrence wins. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PARAM =
  /^[ \t]*;[ \t]*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))?[ \t]*/;

/** Parses a Content-Type value; `undefined` when it is not a media type. */
export function parseMediaType(value: string): MediaType | undefined {
  const semi = value.indexOf(";");
  const essence = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const slash = essence.indexOf("/");
  if (slash <= 0 || !TOKEN.test(essence.slice(0, slash)) || !TOKEN.test(essence.slice(slash + 1))) {
    return undefined;
  }
  const params = new Map<string, string>();
  let rest = semi === -1 ? "" : value.slice(semi);
  while (rest.length > 0) {
    const m = PARAM.exec(rest);
    if (!m || m[0].length === 0) return undefined;
    if (m[1] !== undefined) {
      const name = m[1].toLowerCase();
      const raw = m[2];
      const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
      if (!params.has(name)) params.set(name, unquoted);
    }
    rest = rest.slice(m[0].length);
  }
  return { essence, params };
}

/** True when the charset is absent or UTF-8 (JSON is always UTF-8, RFC 8259 §8.1). */
export function hasUtf8Charset(mediaType: MediaType): boolean {
  const charset = mediaType.params.get("charset")?.toLowerCase();
  return charset === undefined || charset === "utf-8" || charset === "utf8";
}
