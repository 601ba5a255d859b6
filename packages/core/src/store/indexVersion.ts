import { INDEX_HEADER_BYTES, INDEX_RECORD_BYTES } from "./scripts.js";

/**
 * An aggregate's version and archived count from its index's length and first bytes (`STRLEN`
 * and `GETRANGE 0 6`), as the scripts' `indexState` computes them; undefined when the index is
 * neither whole records nor a header and whole records (written by hand). For tools that list
 * many indexes in one pipeline; the store itself asks its scripts.
 *
 * @example
 * const state = indexVersion(await redis.strlen(key), await redis.getrangeBuffer(key, 0, 6));
 */
export function indexVersion(
  length: number,
  head: Uint8Array,
): { version: number; archived: number } | undefined {
  const remainder = length % INDEX_RECORD_BYTES;
  const records = Math.floor(length / INDEX_RECORD_BYTES);
  if (remainder === 0) return { version: records, archived: 0 };
  if (remainder !== INDEX_HEADER_BYTES || head.length < INDEX_HEADER_BYTES || head[0] !== 0x41) {
    return undefined;
  }
  let archived = 0;
  for (let at = 1; at < INDEX_HEADER_BYTES; at++) archived = archived * 256 + (head[at] as number);
  return { version: archived + records, archived };
}
