import type { Cluster, Redis } from "ioredis";
import { CorruptEventError, InvalidArgumentError } from "../errors/index.js";
import { runFunction } from "../scripting/runFunction.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";
import type { StreamLocation } from "./EventStore.js";
import type { RawStreamEntry } from "./entryCodec.js";
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
}

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
  const reply = (await runFunction(
    redis,
    coreFunctionLibrary,
    coreFunctionLibrary.functions.read,
    [location.indexKey, location.logKey],
    [request.direction, request.start, request.stop, request.count],
  )) as unknown[];
  if (reply[0] === "corrupt") throw corruptIndex(location.streamName, location.indexKey, reply[1]);
  const version = Number(reply[1]);
  const first = Number(reply[2]);
  const archived = Number(reply[3]);
  const step = request.direction === "forward" ? 1 : -1;
  const entries = reply.slice(4).map((item, offset) => {
    const [position, fields] = item as [string, string[] | undefined];
    return {
      version: first + offset * step,
      entry: [String(position), fields ?? null] as RawStreamEntry,
    };
  });
  return { version, archived, entries };
}
