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
  return `${id >> 64n}-${id & SEQ_MASK}`;
}

const DIGITS = /^[0-9]+$/;

/**
 * Parses an unsigned 64-bit integer like Redis's `string2ull`: canonical digits, or what
 * `strtoull` accepts (leading blanks and a `+` sign), never a negative value, never above 2^64-1.
 * Returns `undefined` when Redis would reject the text.
 */
function parseUint64(text: string): bigint | undefined {
  let digits = text;
  if (!DIGITS.test(digits)) {
    // strtoull() fallback in Redis's util.c: optional whitespace then an optional '+'.
    const match = /^[ \t\n\v\f\r]*\+?([0-9]+)$/.exec(text);
    if (!match?.[1]) return undefined;
    digits = match[1];
  }
  if (digits.length > 20) return undefined;
  const value = BigInt(digits);
  return value > UINT64_MAX ? undefined : value;
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
  if (text.length > 127) throw replyError(ERR_INVALID_STREAM_ID);
  if (text === "-" || text === "+") {
    if (options.strict) throw replyError(ERR_INVALID_STREAM_ID);
    return { id: text === "-" ? MIN_STREAM_ID : MAX_STREAM_ID, seqGiven: true };
  }
  const dash = text.indexOf("-");
  const msText = dash === -1 ? text : text.slice(0, dash);
  const ms = parseUint64(msText);
  if (ms === undefined) throw replyError(ERR_INVALID_STREAM_ID);
  if (dash === -1) return { id: makeStreamId(ms, options.missingSeq ?? 0n), seqGiven: true };
  const seqText = text.slice(dash + 1);
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
