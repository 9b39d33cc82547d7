/**
 * Strict base64 (RFC 4648 §4, standard alphabet) for `data_base64` and Kafka Bridge binary keys, values
 * and headers. `atob` alone would also accept whitespace and drop stray bits silently.
 *
 * @module
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** The decoded bytes, or `undefined` when `text` is not base64 (padding optional, as in Java's decoder). */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
