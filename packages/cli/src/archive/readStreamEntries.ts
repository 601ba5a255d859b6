import {
  CorruptEventError,
  type EventArchive,
  type RawStreamEntry,
  readAggregatePage,
  type StreamLocation,
} from "@streamstore/core";
import { logEntryOf } from "@streamstore/core/internal";
import type { RedisClient } from "../context/RedisClient.js";

/** What {@link readStreamEntries} reads. */
export interface StreamEntriesRequest {
  direction: "forward" | "backward";
  /** The first version to read (>= 1); backward, 0 reads from the newest. */
  from: number;
  /** At most this many entries (>= 1). */
  limit: number;
  /** Versions per round trip. */
  pageSize: number;
}

/** One version of a stream as stored, and the tier it was read from. */
export interface StreamEntry {
  version: number;
  /** The log entry (an archived event converted back with `logEntryOf`). */
  entry: RawStreamEntry;
  /** `redis`: read through the aggregate's index; `archive`: moved there by the archiver. */
  from: "redis" | "archive";
}

/** What {@link readStreamEntries} read. */
export interface StreamEntries {
  /** The aggregate's version as the last page saw it (0: it does not exist). */
  version: number;
  /** How many of its oldest versions were archived, as the last page saw it. */
  archived: number;
  /** The entries in reading order. */
  entries: StreamEntry[];
  /** True when versions the read reached were archived and no archive was given to read them. */
  skippedArchived: boolean;
}

/**
 * Reads a stream's versions as stored, raw, page by page: hot versions through the aggregate's
 * index (`readAggregatePage`), archived ones (those the index header counts) from the archive,
 * converted back to log entries with `logEntryOf`, so that a caller decodes both alike (with a
 * catalog, or shows them raw). The seam rules are the store's (`readAggregate`): the count of
 * archived versions comes with each page and only grows, and the archive holds every version at
 * or below it. Without an archive, archived versions are skipped (`skippedArchived`), never an
 * error: forward reads carry on from the first hot version, backward reads end there.
 *
 * @example
 * const { entries } = await readStreamEntries(redis, archive, location, { direction: "forward", from: 1, limit: 100, pageSize: 1000 });
 */
export async function readStreamEntries(
  redis: RedisClient,
  archive: EventArchive | undefined,
  location: Pick<StreamLocation, "streamName" | "indexKey" | "logKey">,
  request: StreamEntriesRequest,
): Promise<StreamEntries> {
  const { direction, limit, pageSize } = request;
  const forward = direction === "forward";
  const step = forward ? 1 : -1;
  const result: StreamEntries = { version: 0, archived: 0, entries: [], skippedArchived: false };
  // The version the next read starts at (backward, 0 is the newest).
  let next = request.from;
  let seen = false;
  while (result.entries.length < limit) {
    if (seen && next < 1) break;
    const count = Math.min(pageSize, limit - result.entries.length);
    if (seen && next <= result.archived) {
      if (!archive) {
        result.skippedArchived = true;
        if (!forward) break;
        next = result.archived + 1;
        continue;
      }
      const first = next;
      const last = forward
        ? Math.min(result.archived, first + count - 1)
        : Math.max(1, first - count + 1);
      const rows = await archive.readStream(location.streamName, {
        direction,
        from: Math.min(first, last),
        to: Math.max(first, last),
        limit: count,
      });
      for (const row of rows) {
        if (row.version !== next) break;
        result.entries.push({ version: row.version, entry: logEntryOf(row), from: "archive" });
        next += step;
      }
      if (Math.abs(next - first) !== Math.abs(last - first) + 1) {
        throw new CorruptEventError(
          location.streamName,
          next,
          "(archive)",
          "Redis counts it as archived, but the archive does not hold it (was the archive restored from an older backup, or is this another store's archive?)",
        );
      }
      continue;
    }
    const page = await readAggregatePage(redis, location, {
      direction,
      start: next,
      stop: 0,
      count,
    });
    seen = true;
    result.version = page.version;
    result.archived = Math.max(result.archived, page.archived);
    if (page.version === 0) break;
    // Backward from the newest (or from beyond it): the page says which version that is.
    if (!forward && (next === 0 || next > page.version)) next = page.version;
    for (const { version, entry } of page.entries) {
      result.entries.push({ version, entry, from: "redis" });
      next = version + step;
    }
    // Reached archived versions (forward: it started there; backward: the page ended at the seam).
    if (next >= 1 && next <= result.archived) continue;
    if (page.entries.length < count) break;
    if (forward ? next > page.version : next < 1) break;
  }
  return result;
}
