import type { Cluster, Redis } from "ioredis";
import { CorruptEventError, InvalidArgumentError } from "../errors/index.js";
import { runFunction } from "../scripting/runFunction.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";
import type { StreamLocation } from "./EventStore.js";
import type { RawStreamEntry } from "./entryCodec.js";
import { readLogEntriesAt } from "./readLogEntriesAt.js";
import { INDEX_HEADER_BYTES, INDEX_RECORD_BYTES } from "./scripts.js";

/** What {@link readAggregatePage} reads: versions from `start` towards `stop`, at most `count`. */
export interface AggregatePageRequest {
  direction: "forward" | "backward";
  /** First version to read; 0 reads from the newest (backward only). */
  start: number;
  /** Last version to read, inclusive; 0 for no bound. */
  stop: number;
  /** At most this many events (>= 1). */
  count: number;
  /**
   * A page of more versions than this fetches its entries with one XREAD, in a second round
   * trip: the read script answers their positions instead of looking each up (see
   * `READ_XREAD_ABOVE` in `@streamstore/core/internal`). `Infinity`: always one round trip.
   * Default: `READ_XREAD_ABOVE` (16).
   */
  xreadAbove?: number;
}

/**
 * Pages of up to this many versions are read in one round trip, the read script looking each
 * entry up in the log; larger ones in two, the script answering positions and one XREAD fetching
 * the entries. A lookup from Lua costs Redis about three times what XREAD's seek does (a Lua
 * call and the entry converted to Lua and back), which outweighs the extra round trip on a LAN
 * from here on (`pnpm bench:read`; docs/key-layout.md, "Reading an aggregate").
 */
export const READ_XREAD_ABOVE = 16;

/** One page of an aggregate, as stored: raw log entries with the versions the index gives them. */
export interface AggregatePage {
  /** The aggregate's version when the page was read (0: it does not exist). */
  version: number;
  /**
   * How many of its oldest versions were archived (moved to the archive and out of Redis) when
   * the page was read: versions up to this one are read from the archive, never from this page.
   */
  archived: number;
  /**
   * The entries in reading order, each with its version; `fields` is null when the index names a
   * position the category log no longer holds (trimmed or deleted there).
   */
  entries: { version: number; entry: RawStreamEntry }[];
}

/**
 * The index was changed by hand: its length is not a whole number of records.
 *
 * @example
 * throw corruptIndex("cart-1", "ss:{cart:0}:i:1", 13);
 */
export function corruptIndex(
  streamName: string,
  indexKey: string,
  length: unknown,
): CorruptEventError {
  return new CorruptEventError(
    streamName,
    undefined,
    indexKey,
    `its index holds ${String(length)} bytes, not whole ${INDEX_RECORD_BYTES}-byte records after an optional ${INDEX_HEADER_BYTES}-byte header (it was written by hand)`,
  );
}

/**
 * Reads one page of an aggregate in one round trip: the read script looks the versions up in the
 * aggregate's index and returns their log entries. Entries are not decoded: the store decodes
 * them with its catalog, the CLI with whatever catalog it has.
 *
 * @example
 * const page = await readAggregatePage(redis, location, { direction: "forward", start: 1, stop: 0, count: 100 });
 */
export async function readAggregatePage(
  redis: Redis | Cluster,
  location: Pick<StreamLocation, "streamName" | "indexKey" | "logKey">,
  request: AggregatePageRequest,
): Promise<AggregatePage> {
  // The script does arithmetic on these: a fraction would read records at the wrong offsets.
  if (request.direction !== "forward" && request.direction !== "backward") {
    throw new InvalidArgumentError(
      "direction",
      `${String(request.direction)} is not "forward" or "backward".`,
    );
  }
  for (const [name, value, lowest] of [
    ["start", request.start, 0],
    ["stop", request.stop, 0],
    ["count", request.count, 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < lowest) {
      throw new InvalidArgumentError(name, `${String(value)} must be an integer >= ${lowest}.`);
    }
  }
  const xreadAbove = request.xreadAbove ?? READ_XREAD_ABOVE;
  if (
    !(
      xreadAbove === Number.POSITIVE_INFINITY ||
      (Number.isSafeInteger(xreadAbove) && xreadAbove >= 0)
    )
  ) {
    throw new InvalidArgumentError(
      "xreadAbove",
      `${String(xreadAbove)} must be an integer >= 0 or Infinity.`,
    );
  }
  let reply = await callReadScript(redis, location, request, xreadAbove);
  if (reply[0] === "positions") {
    const found = await readLogEntriesAt(redis, location.logKey, reply.slice(4) as number[]);
    if (found !== undefined) return pageOf(reply, request, found);
    // A position the log no longer holds (the archiver trimmed it, or it was deleted, since the
    // script answered): the page again, in one atomic call (no positions), which says what is
    // there now.
    reply = await callReadScript(redis, location, request, Number.POSITIVE_INFINITY);
  }
  const entries = reply.slice(4).map((item) => {
    const [position, fields] = item as [string, string[] | undefined];
    return [String(position), fields ?? null] as RawStreamEntry;
  });
  return pageOf(reply, request, entries);
}

/** One call of the read script; its "positions" reply only for a page of more than `xreadAbove`. */
async function callReadScript(
  redis: Redis | Cluster,
  location: Pick<StreamLocation, "streamName" | "indexKey" | "logKey">,
  request: AggregatePageRequest,
  xreadAbove: number,
): Promise<unknown[]> {
  const args: (string | number)[] = [request.direction, request.start, request.stop, request.count];
  if (xreadAbove !== Number.POSITIVE_INFINITY) args.push(xreadAbove);
  const reply = (await runFunction(
    redis,
    coreFunctionLibrary,
    coreFunctionLibrary.functions.read,
    [location.indexKey, location.logKey],
    args,
  )) as unknown[];
  if (reply[0] === "corrupt") throw corruptIndex(location.streamName, location.indexKey, reply[1]);
  return reply;
}

/** The page of a read-script reply's header and the page's entries, in reading order. */
function pageOf(
  reply: unknown[],
  request: AggregatePageRequest,
  entries: RawStreamEntry[],
): AggregatePage {
  const first = Number(reply[2]);
  const step = request.direction === "forward" ? 1 : -1;
  return {
    version: Number(reply[1]),
    archived: Number(reply[3]),
    entries: entries.map((entry, offset) => ({ version: first + offset * step, entry })),
  };
}
