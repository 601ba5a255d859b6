import type { Cluster, Redis } from "ioredis";
import type { RawStreamEntry } from "./entryCodec.js";

// The largest sequence number of a stream id: the id just before "<ms>-0" is "<ms - 1>-" this.
const LAST_SEQUENCE = "18446744073709551615";

/** The XREAD that fetches log entries by position, and the id each must answer. */
export interface XreadOfPositions {
  /** `COUNT 1 STREAMS`, the log once per position, then the id just before each position. */
  argv: (string | number)[];
  /** The positions as ids (`"<ms>-<seq>"`), in order. */
  ids: string[];
}

/**
 * The XREAD that fetches the log entries at `positions` (flat `ms, seq` pairs, as the read
 * script's "positions" reply gives them): the log named once per position, each with the id
 * just before its position and COUNT 1, so each answers the entry at that position if the log
 * still holds it. `undefined` for a position no entry can have (0-0).
 *
 * @example
 * xreadOfPositions("ss:{account:0}:log", [1700000000000, 0, 1700000000000, 5]).argv;
 * // ["COUNT", 1, "STREAMS", log, log, "1699999999999-18446744073709551615", "1700000000000-4"]
 */
export function xreadOfPositions(
  logKey: string,
  positions: readonly number[],
): XreadOfPositions | undefined {
  const count = positions.length / 2;
  const argv: (string | number)[] = ["COUNT", 1, "STREAMS"];
  const ids: string[] = new Array(count);
  for (let index = 0; index < count; index++) argv.push(logKey);
  for (let index = 0; index < count; index++) {
    const ms = positions[2 * index] as number;
    const seq = positions[2 * index + 1] as number;
    // (one decimal conversion of ms for both ids: this runs for every event of a large read)
    const millis = String(ms);
    ids[index] = `${millis}-${seq}`;
    if (seq > 0) argv.push(`${millis}-${seq - 1}`);
    else if (ms > 0) argv.push(`${ms - 1}-${LAST_SEQUENCE}`);
    else return undefined;
  }
  return { argv, ids };
}

/**
 * The entries of an XREAD sent with {@link xreadOfPositions}, in the order of its `ids`, or
 * `undefined` unless every position answered its own entry: one the log no longer holds (trimmed
 * by the archiver or deleted since the positions were read) answers the next entry or nothing,
 * and then the caller reads the page again in one atomic script call. Takes RESP2's reply and
 * RESP3's (flat, as `call` gives it); one in another shape is `undefined` too.
 *
 * @example
 * entriesOfXread(["log", [["1700000000000-5", ["t", "Deposited"]]]], ["1700000000000-5"]);
 * // [["1700000000000-5", ["t", "Deposited"]]]
 */
export function entriesOfXread(
  reply: unknown,
  ids: readonly string[],
): RawStreamEntry[] | undefined {
  const count = ids.length;
  if (!Array.isArray(reply)) return undefined;
  // RESP3 (ioredis 6's default) answers a map, which `call` gives flat: key, entries, key, ...;
  // RESP2 a list of [key, entries] pairs.
  const flat = typeof reply[0] === "string";
  if (reply.length !== (flat ? 2 * count : count)) return undefined;
  const entries: RawStreamEntry[] = new Array(count);
  for (let index = 0; index < count; index++) {
    let streamEntries: unknown;
    if (flat) streamEntries = reply[2 * index + 1];
    else {
      const stream = reply[index] as unknown;
      if (!Array.isArray(stream)) return undefined;
      streamEntries = stream[1];
    }
    if (!Array.isArray(streamEntries)) return undefined;
    const entry = streamEntries[0] as unknown;
    if (!Array.isArray(entry) || !Array.isArray(entry[1])) return undefined;
    if (entry[0] !== ids[index]) return undefined;
    entries[index] = entry as RawStreamEntry;
  }
  return entries;
}

/**
 * Fetches the log entries at `positions` with one XREAD: Redis seeks each in the log, a third of
 * what a lookup costs inside the read script. `undefined` when one of them is no longer there (see
 * {@link entriesOfXread}).
 *
 * @example
 * const entries = await readLogEntriesAt(redis, location.logKey, [1700000000000, 5]);
 */
export async function readLogEntriesAt(
  redis: Redis | Cluster,
  logKey: string,
  positions: readonly number[],
): Promise<RawStreamEntry[] | undefined> {
  const xread = xreadOfPositions(logKey, positions);
  if (xread === undefined) return undefined;
  // One array, which ioredis flattens: a large page's arguments must not land on the call stack.
  return entriesOfXread(await redis.call("XREAD", xread.argv), xread.ids);
}
