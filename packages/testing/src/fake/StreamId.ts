import { ERR_INVALID_STREAM_ID, replyError } from "./replyError.js";

/**
 * A stream entry id packed into one 128-bit `bigint`: `ms << 64 | seq`.
 *
 * Redis ids are two unsigned 64-bit integers (`streamID` in Redis's `src/stream.h`), so both halves
 * can exceed 2^53 and must never go through a JS `number`. Packing them into one `bigint` keeps
 * comparisons numeric (never lexicographic, the bug ioredis-mock has) and turns Redis's
 * `streamIncrID`/`streamDecrID`, which carry the sequence overflow into the millisecond part, into
 * plain `+ 1n` / `- 1n`.
 *
 * @example
 * ```ts
 * const id = parseStreamId("5-1"); // (5n << 64n) | 1n
 * formatStreamId(id); // "5-1"
 * ```
 */
export type StreamId = bigint;

const UINT64_MAX = (1n << 64n) - 1n;
const SEQ_MASK = UINT64_MAX;

/**
 * The smallest id, `0-0` (what `-` means).
 *
 * @example
 * ```ts
 * stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 0, false);
 * ```
 */
export const MIN_STREAM_ID: StreamId = 0n;
/**
 * The largest id, `18446744073709551615-18446744073709551615` (what `+` means).
 *
 * @example
 * ```ts
 * stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 0, false);
 * ```
 */
export const MAX_STREAM_ID: StreamId = (UINT64_MAX << 64n) | UINT64_MAX;

/**
 * Builds an id from its millisecond and sequence parts.
 *
 * @example
 * ```ts
 * makeStreamId(1700000000000n, 0n);
 * ```
 */
export function makeStreamId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

/**
 * The millisecond part of an id.
 *
 * @example
 * ```ts
 * streamIdMs(parseStreamId("7-3")); // 7n
 * ```
 */
export function streamIdMs(id: StreamId): bigint {
  return id >> 64n;
}

/**
 * The sequence part of an id.
 *
 * @example
 * ```ts
 * streamIdSeq(parseStreamId("7-3")); // 3n
 * ```
 */
export function streamIdSeq(id: StreamId): bigint {
  return id & SEQ_MASK;
}

/**
 * Formats an id the way Redis replies with it (`<ms>-<seq>`, both decimal).
 *
 * @example
 * ```ts
 * formatStreamId(makeStreamId(1n, 2n)); // "1-2"
 * ```
 */
export function formatStreamId(id: StreamId): string {
  return `${streamIdMs(id)}-${streamIdSeq(id)}`;
}

const DIGITS = /^[0-9]+$/;
/** What `string2ll` accepts: no sign but `-`, no leading zeros, no blanks. */
const CANONICAL_INTEGER = /^-?[1-9][0-9]*$|^0$/;
/** What `strtoull(s, &end, 10)` consumes whole: C-locale blanks, an optional sign, digits. */
const STRTOULL = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Parses an unsigned 64-bit integer exactly like Redis 7.0's `string2ull` (`src/util.c`):
 * - first `string2ll`: canonical decimal (`0`, or `-`? then 1-9 then digits, under 21 chars) within
 *   int64; a negative value is then rejected outright;
 * - otherwise glibc `strtoull(s, &end, 10)`, which must consume the whole (non-empty) text: leading
 *   C-locale blanks, an optional `+` or `-`, then any number of digits (leading zeros included).
 *   A magnitude above 2^64-1 is ERANGE (rejected); a `-` sign negates modulo 2^64 (`-01` is
 *   2^64-1), as strtoull does.
 * Returns `undefined` when Redis would reject the text.
 */
function parseUint64(text: string): bigint | undefined {
  if (DIGITS.test(text)) {
    // Canonical or with leading zeros: string2ll or strtoull, the same value either way.
    const value = BigInt(text);
    return value > UINT64_MAX ? undefined : value;
  }
  if (text.length < 21 && CANONICAL_INTEGER.test(text)) {
    // A canonical negative number: string2ll accepts it when it fits int64, then it is rejected.
    const value = BigInt(text);
    if (value >= INT64_MIN && value <= INT64_MAX) return undefined;
  }
  const match = STRTOULL.exec(text);
  if (match === null) return undefined;
  const magnitude = BigInt(match[2] as string);
  if (magnitude > UINT64_MAX) return undefined;
  return match[1] === "-" ? (UINT64_MAX + 1n - magnitude) & UINT64_MAX : magnitude;
}

/**
 * What {@link parseStreamIdArgument} returns: the id and whether `<ms>-*` left the seq open.
 *
 * @example
 * ```ts
 * const { id, seqGiven } = parseStreamIdArgument("5-*", { allowSeqWildcard: true });
 * ```
 */
export interface ParsedStreamId {
  id: StreamId;
  /** `false` only for the `<ms>-*` form (XADD), where Redis generates the sequence. */
  seqGiven: boolean;
}

/**
 * Parses a stream id argument with the rules of Redis 7.0's `streamGenericParseIDOrReply`
 * (`src/t_stream.c`): `-`/`+` unless `strict`, `<ms>` (sequence = `missingSeq`), `<ms>-<seq>`,
 * and `<ms>-*` when `allowSeqWildcard`. Throws Redis's "Invalid stream ID" error otherwise.
 *
 * @example
 * ```ts
 * parseStreamIdArgument("5", { missingSeq: MAX_SEQ }).id; // 5-18446744073709551615
 * ```
 */
export function parseStreamIdArgument(
  text: string,
  options: { missingSeq?: bigint; strict?: boolean; allowSeqWildcard?: boolean } = {},
): ParsedStreamId {
  // The id is copied into a 128-byte C buffer (so at most 127 bytes) and parsed as a C string: an
  // embedded NUL ends it.
  if (text.length > 127) throw replyError(ERR_INVALID_STREAM_ID);
  const nul = text.indexOf("\u0000");
  const cText = nul === -1 ? text : text.slice(0, nul);
  if (cText === "-" || cText === "+") {
    if (options.strict) throw replyError(ERR_INVALID_STREAM_ID);
    return { id: cText === "-" ? MIN_STREAM_ID : MAX_STREAM_ID, seqGiven: true };
  }
  const dash = cText.indexOf("-");
  const msText = dash === -1 ? cText : cText.slice(0, dash);
  const ms = parseUint64(msText);
  if (ms === undefined) throw replyError(ERR_INVALID_STREAM_ID);
  if (dash === -1) return { id: makeStreamId(ms, options.missingSeq ?? 0n), seqGiven: true };
  const seqText = cText.slice(dash + 1);
  if (options.allowSeqWildcard && seqText === "*") {
    return { id: makeStreamId(ms, 0n), seqGiven: false };
  }
  const seq = parseUint64(seqText);
  if (seq === undefined) throw replyError(ERR_INVALID_STREAM_ID);
  return { id: makeStreamId(ms, seq), seqGiven: true };
}

/**
 * Parses a strict id (no `-`/`+`), as XADD/XDEL/XACK/XCLAIM/XSETID want.
 *
 * @example
 * ```ts
 * parseStrictStreamId("1-1");
 * ```
 */
export function parseStrictStreamId(text: string): StreamId {
  return parseStreamIdArgument(text, { strict: true }).id;
}

/**
 * The sequence Redis fills in for an incomplete end id (`UINT64_MAX`).
 *
 * @example
 * ```ts
 * parseIntervalStreamId("5", MAX_SEQ); // 5-18446744073709551615
 * ```
 */
export const MAX_SEQ = UINT64_MAX;

/**
 * Parses a range bound like Redis's `streamParseIntervalIDOrReply`: a leading `(` makes it
 * exclusive (and then `-`/`+` are invalid), an incomplete id gets `missingSeq`.
 *
 * @example
 * ```ts
 * parseIntervalStreamId("(5-0", 0n); // { id: 5-0, exclusive: true }
 * ```
 */
export function parseIntervalStreamId(
  text: string,
  missingSeq: bigint,
): { id: StreamId; exclusive: boolean } {
  const exclusive = text.length > 1 && text.startsWith("(");
  if (exclusive) {
    return {
      id: parseStreamIdArgument(text.slice(1), { missingSeq, strict: true }).id,
      exclusive,
    };
  }
  return { id: parseStreamIdArgument(text, { missingSeq }).id, exclusive };
}
