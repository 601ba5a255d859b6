import type { LuaValue, ScriptTwinRedis } from "../scripting/scriptTwin.js";

// What the twins in scriptTwins.ts share, as the store's scripts share it: Lua's `tonumber` on the
// texts the toolkit sends, the append script's `field`, and ports of POSITION_CODEC and
// INDEX_STATE (scripts.ts), the aggregate index's 12-byte records and optional header.

/**
 * Lua's `tonumber` on the plain decimal texts the toolkit sends; other texts (signs, fractions,
 * hex, exponents, spaces) go to the Lua. Up to 15 digits a decimal is exact as a double, which
 * is what a number is in Redis's Lua 5.1 and, since `tonumber` answers floats, in the fake's.
 */
export function decimal(text: string | undefined, digits = 9): number | undefined {
  if (text === undefined) return undefined;
  return new RegExp(`^\\d{1,${digits}}$`).test(text) ? Number(text) : undefined;
}

/** The value after the first `name` in a flat name/value reply (an entry's fields). */
function valueAfter(pairs: LuaValue, name: string): LuaValue {
  if (!Array.isArray(pairs)) return undefined;
  for (let index = 0; index < pairs.length; index += 2) {
    if (pairs[index] === name) return pairs[index + 1];
  }
  return undefined;
}

/** The Lua `field(entry, name)` helper of the append script: first value of `name`, or nil. */
export function field(entry: LuaValue, name: string): string | undefined {
  const value = Array.isArray(entry) ? valueAfter(entry[1], name) : undefined;
  return typeof value === "string" ? value : undefined;
}

/** Bytes of one of the codec's integers (`I6`). */
const PART = 6;

/**
 * `struct.pack(">I6", n)` as a byte string (one char per byte, as the fake hands strings to
 * twins): `n` big-endian in 6 bytes. Only called with integers below 2^48.
 */
function packUint48(value: number): string {
  let bytes = "";
  for (let shift = PART - 1; shift >= 0; shift--) {
    bytes += String.fromCharCode(Math.floor(value / 256 ** shift) % 256);
  }
  return bytes;
}

/** `struct.unpack(">I6", data, at + 1)`: the 6-byte big-endian integer at 0-based byte `at`. */
function unpackUint48(data: string, at: number): number {
  let value = 0;
  for (let index = at; index < at + PART; index++) value = value * 256 + data.charCodeAt(index);
  return value;
}

/** `W` of core's `POSITION_CODEC`: bytes of one index record. */
const W = 12;
/** `POSITION_LIMIT` of `POSITION_CODEC`: 2^48, the first number 6 bytes do not hold. */
const POSITION_LIMIT = 2 ** 48;

/**
 * The codec's `encodePosition`: `struct.pack(">I6I6", ms, seq)` of a log position, in the fake's
 * byte-string form (one char per byte); `undefined` (the Lua's nil) when `tonumber` of ms or seq
 * is 2^48 or more (a double's comparison, as in the Lua).
 */
export function encodePosition(position: string): string | undefined {
  const match = /^(\d+)-(\d+)$/.exec(position);
  // XADD answers "<ms>-<seq>" and nothing else: anything else is a fake that broke, not Lua.
  if (match === null) throw new Error(`[streamstore] XADD answered ${position}`);
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  if (ms >= POSITION_LIMIT || seq >= POSITION_LIMIT) return undefined;
  return packUint48(ms) + packUint48(seq);
}

/**
 * The codec's `decodePosition` for the record at 0-based byte `at` (the Lua's `at` is 1-based):
 * `string.format("%d-%d", struct.unpack(">I6I6", records, at))`. `undefined` when `records` ends
 * before the record does, where the Lua's unpack raises: the scripts only read whole records of an
 * index whose length they checked, so only a broken port meets it, and it hands the script to the
 * Lua rather than guess.
 */
function decodePosition(records: string, at: number): string | undefined {
  if (at + W > records.length) return undefined;
  return `${unpackUint48(records, at)}-${unpackUint48(records, at + PART)}`;
}

/** `HEAD` of core's `INDEX_STATE`: bytes of an index's header once versions were archived. */
const HEAD = 7;

/** The script lines of `INDEX_STATE`'s calls, in one script. */
export interface IndexStateLines {
  readonly strlen: number;
  readonly header: number;
}

/** What `indexState(index)` answers: the version, versions archived, bytes before the records. */
type IndexState = { current: number; archived: number; head: number } | { corrupt: number };

/**
 * `INDEX_STATE`'s `indexState`: STRLEN, and the header (GETRANGE of its 7 bytes) when the length
 * says there is one. A string holds at most 512 MB: versions stay far below 2^31, where the fake's
 * Lua (32-bit integers) would format them differently from Redis's.
 */
export function indexState(
  redis: ScriptTwinRedis,
  lines: IndexStateLines,
  index: string,
): IndexState {
  const length = redis.call(lines.strlen, "STRLEN", index) as number;
  const remainder = length % W;
  if (remainder === 0) return { current: Math.floor(length / W), archived: 0, head: 0 };
  if (remainder !== HEAD) return { corrupt: length };
  const header = redis.call(lines.header, "GETRANGE", index, 0, HEAD - 1) as string;
  if (header.charAt(0) !== "A") return { corrupt: length };
  const archived = unpackUint48(header, 1);
  return { current: archived + Math.floor(length / W), archived, head: HEAD };
}

/** The script lines of the calls the append and read scripts share (`entriesOf` / the read loop). */
export interface IndexReadLines {
  readonly getRange: number;
  readonly xrange: number;
}

/** Versions `first..last` of a read, in reading order, and `low..high`, the same in index order. */
type VersionRange = { first: number; last: number; low: number; high: number };
/** Of an index (see `indexState`): the versions archived, and the bytes before the records. */
type IndexHead = { archived: number; head: number };

/**
 * The read script's "positions" reply body: each version's position of `first..last` as two
 * integers (ms, seq), from one GETRANGE of their records. `undefined` if a record was cut.
 */
export function positionsThroughIndex(
  redis: ScriptTwinRedis,
  getRangeLine: number,
  index: string,
  range: VersionRange,
  state: IndexHead,
): number[] | undefined {
  const records = recordsOf(redis, getRangeLine, index, range, state);
  if (records === undefined) return undefined;
  const { first, last, low } = range;
  const step = first <= last ? 1 : -1;
  const positions: number[] = [];
  for (let version = first; step === 1 ? version <= last : version >= last; version += step) {
    const at = (version - low) * W;
    if (at + W > records.length) return undefined;
    positions.push(unpackUint48(records, at), unpackUint48(records, at + PART));
  }
  return positions;
}

/** The one GETRANGE of the records of versions `low..high` (all above the versions archived). */
function recordsOf(
  redis: ScriptTwinRedis,
  getRangeLine: number,
  index: string,
  range: Pick<VersionRange, "low" | "high">,
  state: IndexHead,
): string | undefined {
  const { low, high } = range;
  const { archived, head } = state;
  const records = redis.call(
    getRangeLine,
    "GETRANGE",
    index,
    head + (low - archived - 1) * W,
    head + (high - archived) * W - 1,
  );
  return typeof records === "string" ? records : undefined;
}

/**
 * The log entries of versions `first..last` through the index, as the append script's
 * `entriesOf` and the read script's loop look them up: one GETRANGE of their records, then one
 * XRANGE per version in `first`→`last` order, each `{position, fields}` or `{position}` when the
 * log no longer holds it. `low`/`high` bound the GETRANGE, all above the versions archived.
 * `undefined` if a record was cut.
 */
export function entriesThroughIndex(
  redis: ScriptTwinRedis,
  lines: IndexReadLines,
  index: string,
  log: string,
  range: VersionRange,
  state: IndexHead,
): LuaValue[] | undefined {
  const { first, last, low } = range;
  const records = recordsOf(redis, lines.getRange, index, range, state);
  if (records === undefined) return undefined;
  const step = first <= last ? 1 : -1;
  const entries: LuaValue[] = [];
  for (let version = first; step === 1 ? version <= last : version >= last; version += step) {
    const position = decodePosition(records, (version - low) * W);
    if (position === undefined) return undefined;
    const found = redis.call(lines.xrange, "XRANGE", log, position, position) as LuaValue[];
    entries.push(found.length > 0 ? found[0] : [position]);
  }
  return entries;
}
