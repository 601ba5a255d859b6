import type { Cluster, Redis } from "ioredis";
import { logEntryOf } from "../archive/archivedEntry.js";
import type { EventArchive } from "../archive/EventArchive.js";
import { ArchiveRequiredError, CorruptEventError } from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { AnyEvent, RecordedEvent } from "../events/types.js";
import type { KeyRing } from "../personalData/KeyRing.js";
import { subjectsOfEntries } from "../personalData/personalFields.js";
import type { StreamLocation } from "./EventStore.js";
import { decodeEntry, type RawStreamEntry } from "./entryCodec.js";
import { readAggregatePage } from "./readAggregatePage.js";

/** What {@link readAggregate} reads, its bounds already checked by the caller. */
export interface AggregateReadRequest {
  direction: "forward" | "backward";
  /** Lowest version to read (>= 1). */
  lowest: number;
  /** Highest version to read; undefined for the newest. */
  to: number | undefined;
  /** At most this many events (Infinity for all). */
  limit: number;
  /** Events per round trip. */
  pageSize: number;
}

/**
 * Reads an aggregate page by page, hot versions from Redis and archived ones (those the index
 * header counts) from the archive, decoded and validated. No gap and no duplicate at the seam,
 * even while the archiver moves it: the read script answers, atomically with its page, how many
 * versions are archived, the archive commits them before Redis forgets them, and the seam only
 * moves up, so every version at or below a count Redis gave is in the archive, and every version
 * above it that Redis returned is the event itself (events never change).
 *
 * @example
 * for await (const event of readAggregate(redis, catalog, archive, location, { direction: "forward", lowest: 1, to: undefined, limit: Infinity, pageSize: 1000 })) console.log(event.version);
 */
export async function* readAggregate<Event extends AnyEvent>(
  redis: Redis | Cluster,
  catalog: EventCatalog,
  archive: EventArchive | undefined,
  location: StreamLocation,
  request: AggregateReadRequest,
  keyRing?: KeyRing,
): AsyncGenerator<RecordedEvent<Event>> {
  const { direction, lowest, to, pageSize } = request;
  const { streamName } = location;
  const forward = direction === "forward";
  const decode = (entry: RawStreamEntry, version: number) =>
    decodeEntry<Event>(
      catalog,
      entry,
      {
        streamName,
        category: location.category,
        partition: location.partition,
        kind: "stream",
        version,
      },
      keyRing,
    );
  // The keys of a page's subjects are loaded before it is decoded (decodeEntry is synchronous).
  const loadKeys = async (entries: Iterable<RawStreamEntry>): Promise<void> => {
    if (keyRing) await keyRing.load(subjectsOfEntries(entries));
  };
  let remaining = request.limit;
  // The version the next page starts at (0 reading backward: the newest). Versions come from the
  // aggregate's index, so they are contiguous by construction.
  let next = forward ? lowest : (to ?? 0);
  // Versions known to be archived: only ever grows.
  let archived = 0;
  while (remaining > 0) {
    if (forward && to !== undefined && next > to) return;
    if (!forward && next !== 0 && next < lowest) return;
    const count = Math.min(pageSize, remaining);
    if (next !== 0 && next <= archived) {
      if (!archive) throw new ArchiveRequiredError(streamName, archived);
      const first = next;
      const rows = await archive.readStream(streamName, {
        direction,
        from: forward ? first : lowest,
        to: forward ? Math.min(archived, to ?? archived) : first,
        limit: count,
      });
      const expected = forward
        ? Math.min(count, Math.min(archived, to ?? archived) - first + 1)
        : Math.min(count, first - lowest + 1);
      const archivedEntries = rows.map((row) => logEntryOf(row));
      await loadKeys(archivedEntries);
      for (const [rowIndex, row] of rows.entries()) {
        if (row.version !== next) break;
        yield decode(archivedEntries[rowIndex] as RawStreamEntry, row.version);
        next = forward ? next + 1 : next - 1;
      }
      if (Math.abs(next - first) !== expected) {
        throw new CorruptEventError(
          streamName,
          next,
          "(archive)",
          "Redis counts it as archived, but the archive does not hold it (was the archive restored from an older backup, or given another database?)",
        );
      }
      remaining -= expected;
      // Backward past version 1 is the end (0 would mean "the newest" to the next page).
      if (!forward && next < 1) return;
      continue;
    }
    const page = await readAggregatePage(redis, location, {
      direction,
      start: next,
      stop: forward ? (to ?? 0) : lowest,
      count,
    });
    archived = Math.max(archived, page.archived);
    if (!forward && (next === 0 || next > page.version)) {
      // Backward from the newest (or from beyond it): the page says which version that is.
      if (page.version === 0) return;
      next = page.version;
    }
    await loadKeys(page.entries.map(({ entry }) => entry));
    for (const { version, entry } of page.entries) {
      yield decode(entry, version);
      next = forward ? version + 1 : version - 1;
    }
    remaining -= page.entries.length;
    if (next <= archived && next >= 1) continue;
    // A short page is the end; so is a full one that reached the version the page saw (no second
    // round trip for a page that came back empty).
    if (page.entries.length < count) return;
    if (forward ? next > page.version : next < 1) return;
  }
}
