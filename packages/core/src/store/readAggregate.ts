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
  /**
   * Archived versions and no archive to read them from: `"throw"` (default) an
   * `ArchiveRequiredError`; `"skip"` them (forward reads carry on from the first hot version,
   * backward reads end there), for tools that show what Redis has.
   */
  withoutArchive?: "throw" | "skip";
  /**
   * Called with each page's entries (Redis or archive) before any of them is yielded: a reader
   * that decodes personal fields loads the page's keys here (decoding is synchronous).
   */
  beforePage?: (entries: RawStreamEntry[]) => Promise<void>;
  /** `xreadAbove` of each Redis page (see `readAggregatePage`). Default: `READ_XREAD_ABOVE`. */
  xreadAbove?: number;
}

/** One version of an aggregate as stored, and the tier it was read from. */
export interface AggregateEntry {
  version: number;
  /** The log entry (an archived event is converted back with `logEntryOf`). */
  entry: RawStreamEntry;
  from: "redis" | "archive";
}

/** What a read saw, filled in as it goes: the last page's version and archived count. */
export interface AggregateReadState {
  /** The aggregate's version as the last page saw it (0: it does not exist). */
  version: number;
  /** How many of its oldest versions were archived, as the last page saw it. */
  archived: number;
  /** True when the read skipped archived versions (`withoutArchive: "skip"`). */
  skippedArchived: boolean;
}

/**
 * Reads an aggregate's versions as stored, a page per round trip: hot ones from Redis, archived
 * ones (those the index header counts) from the archive, converted back to log entries. No gap
 * and no duplicate at the seam, even while the archiver moves it: the read script answers,
 * atomically with its page, how many versions are archived, the archive commits them before Redis
 * forgets them, and the count only grows, so every version at or below a count Redis gave is in
 * the archive, and every version above it that Redis returned is the event itself (events never
 * change). `state` (optional) is filled in as the read goes.
 *
 * @example
 * for await (const page of readAggregatePages(redis, archive, location, { direction: "forward", lowest: 1, to: undefined, limit: Infinity, pageSize: 1000 })) console.log(page.length);
 */
export async function* readAggregatePages(
  redis: Redis | Cluster,
  archive: EventArchive | undefined,
  location: Pick<StreamLocation, "streamName" | "indexKey" | "logKey">,
  request: AggregateReadRequest,
  state: AggregateReadState = { version: 0, archived: 0, skippedArchived: false },
): AsyncGenerator<AggregateEntry[]> {
  const { direction, lowest, to, pageSize } = request;
  const { streamName } = location;
  const forward = direction === "forward";
  let remaining = request.limit;
  // The version the next page starts at (0 reading backward: the newest). Versions come from the
  // aggregate's index, so they are contiguous by construction.
  let next = forward ? lowest : (to ?? 0);
  while (remaining > 0) {
    if (forward && to !== undefined && next > to) return;
    if (!forward && next !== 0 && next < lowest) return;
    const count = Math.min(pageSize, remaining);
    if (next !== 0 && next <= state.archived) {
      if (!archive) {
        if (request.withoutArchive !== "skip") {
          throw new ArchiveRequiredError(streamName, state.archived);
        }
        state.skippedArchived = true;
        if (!forward) return;
        next = state.archived + 1;
        continue;
      }
      const first = next;
      const rows = await archive.readStream(streamName, {
        direction,
        from: forward ? first : lowest,
        to: forward ? Math.min(state.archived, to ?? state.archived) : first,
        limit: count,
      });
      const expected = forward
        ? Math.min(count, Math.min(state.archived, to ?? state.archived) - first + 1)
        : Math.min(count, first - lowest + 1);
      const archivedEntries = rows.map((row) => logEntryOf(row));
      await request.beforePage?.(archivedEntries);
      const archivedPage: AggregateEntry[] = [];
      for (const [rowIndex, row] of rows.entries()) {
        if (row.version !== next) break;
        archivedPage.push({
          version: row.version,
          entry: archivedEntries[rowIndex] as RawStreamEntry,
          from: "archive",
        });
        next = forward ? next + 1 : next - 1;
      }
      if (archivedPage.length > 0) yield archivedPage;
      if (Math.abs(next - first) !== expected) {
        throw new CorruptEventError(
          streamName,
          next,
          "(archive)",
          "Redis counts it as archived, but the archive does not hold it (was the archive restored from an older backup, or is it another store's archive?)",
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
      xreadAbove: request.xreadAbove,
    });
    state.version = page.version;
    state.archived = Math.max(state.archived, page.archived);
    if (!forward && (next === 0 || next > page.version)) {
      // Backward from the newest (or from beyond it): the page says which version that is.
      if (page.version === 0) return;
      next = page.version;
    }
    await request.beforePage?.(page.entries.map(({ entry }) => entry));
    const hotPage: AggregateEntry[] = page.entries.map(({ version, entry }) => ({
      version,
      entry,
      from: "redis",
    }));
    const last = hotPage[hotPage.length - 1];
    if (last) next = forward ? last.version + 1 : last.version - 1;
    if (hotPage.length > 0) yield hotPage;
    remaining -= page.entries.length;
    if (next <= state.archived && next >= 1) continue;
    // A short page is the end; so is a full one that reached the version the page saw (no second
    // round trip for a page that came back empty).
    if (page.entries.length < count) return;
    if (forward ? next > page.version : next < 1) return;
  }
}

/**
 * {@link readAggregatePages}, one entry at a time (for tools that show what is stored).
 *
 * @example
 * for await (const { version, entry, from } of readAggregateEntries(redis, archive, location, { direction: "forward", lowest: 1, to: undefined, limit: Infinity, pageSize: 1000 })) console.log(version, from);
 */
export async function* readAggregateEntries(
  redis: Redis | Cluster,
  archive: EventArchive | undefined,
  location: Pick<StreamLocation, "streamName" | "indexKey" | "logKey">,
  request: AggregateReadRequest,
  state?: AggregateReadState,
): AsyncGenerator<AggregateEntry> {
  for await (const page of readAggregatePages(redis, archive, location, request, state)) {
    yield* page;
  }
}

/**
 * Reads an aggregate page by page through {@link readAggregatePages}, each event decoded and
 * validated with the catalog (schema check, upcasting), hot or archived alike; personal fields
 * decrypted with `keyRing` (each page's keys loaded before it is decoded), or redacted without.
 * The stream is located (`locate`) when the read starts, not when it is created.
 *
 * @example
 * for await (const event of readAggregate(redis, catalog, archive, () => locator.locate("cart-1"), { direction: "forward", lowest: 1, to: undefined, limit: Infinity, pageSize: 1000 })) console.log(event.version);
 */
export async function* readAggregate<Event extends AnyEvent>(
  redis: Redis | Cluster,
  catalog: EventCatalog,
  archive: EventArchive | undefined,
  locate: () => Promise<StreamLocation>,
  request: AggregateReadRequest,
  keyRing?: KeyRing,
): AsyncGenerator<RecordedEvent<Event>> {
  const location = await locate();
  const pages: AggregateReadRequest = keyRing
    ? { ...request, beforePage: async (entries) => keyRing.load(subjectsOfEntries(entries)) }
    : request;
  // One await per page, not per event: the page's events are decoded as they are taken.
  for await (const page of readAggregatePages(redis, archive, location, pages)) {
    for (const { version, entry } of page) {
      yield decodeEntry<Event>(
        catalog,
        entry,
        {
          streamName: location.streamName,
          category: location.category,
          partition: location.partition,
          kind: "stream",
          version,
        },
        keyRing,
      );
    }
  }
}
