import type { EventArchive } from "../archive/EventArchive.js";
import type { EventCatalog, EventInputOf, EventOf } from "../events/defineEvents.js";
import type { AnyEvent, NewEvent, RecordedEvent } from "../events/types.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import type { KeyRing } from "../personalData/KeyRing.js";
import type { AppendOptions, AppendResult } from "./appendTypes.js";

/** Options of {@link EventStore.read}. */
export interface ReadOptions {
  /** First version to read (inclusive). Default: 1 (forward) / the oldest (backward). */
  from?: number;
  /** Last version to read (inclusive). Default: the latest. */
  to?: number;
  /** `"forward"` (oldest first, default) or `"backward"` (newest first). */
  direction?: "forward" | "backward";
  /** At most this many events. */
  limit?: number;
  /** Events fetched per round trip. Default: the store's `readPageSize`. */
  pageSize?: number;
}

/**
 * Options of {@link EventStore.readCategory}: which partitions, where to start, which way, how
 * many. Read order: within a partition, log order (exact: the order appends committed); across
 * partitions, by position (the append time in ms, then Redis's sequence), ties broken by
 * partition number. See "Reading a category" in the @streamstore/core README.
 */
export interface ReadCategoryOptions {
  /** Read one partition (0 to `partitionsOf(category) - 1`). Default: all, merged. */
  partition?: number;
  /** `"forward"` (oldest first, default) or `"backward"` (newest first). */
  direction?: "forward" | "backward";
  /**
   * Start at this position, inclusive (`"<ms>-<seq>"`: an event's `position`, or
   * `` `${date.getTime()}-0` `` for a time): forward reads events at or after it, backward at or
   * before it. Not with `cursor`.
   */
  from?: string;
  /**
   * Continue past this cursor, exclusive, in the read's direction: the `next` of the previous
   * page. Not with `from`.
   */
  cursor?: string;
  /** Events in the page: an integer from 1 to 100,000. Default: the store's `readPageSize`. */
  limit?: number;
}

/** Options of {@link EventStore.iterateCategory}: those of `readCategory`, `limit` is the total. */
export interface IterateCategoryOptions extends ReadCategoryOptions {
  /** At most this many events in all (an integer >= 0). Default: every event. */
  limit?: number;
  /** Events fetched per round trip (1 to 100,000). Default: the store's `readPageSize`. */
  pageSize?: number;
}

/** One page of {@link EventStore.readCategory}. */
export interface CategoryPage<Event extends AnyEvent = AnyEvent> {
  /** The events, decoded and validated as `read` returns them, in the read's order. */
  events: RecordedEvent<Event>[];
  /**
   * The cursor after the page's last event (`"<ms>-<seq>/<partition>"`): pass it as `cursor` to
   * read the next page. The `cursor` given when the page is empty (undefined without one).
   */
  next: string | undefined;
  /** True when the page is shorter than `limit`: nothing followed when it was read. */
  done: boolean;
}

/** A stored snapshot of an aggregate's state. */
export interface Snapshot<StateType = unknown> {
  /** The stream version the state includes. */
  version: number;
  /** The id of the event at `version`: a snapshot of a stream deleted and written anew is ignored. */
  eventId: string;
  /** The state's schema version: a snapshot of another schema version is ignored, never trusted. */
  schemaVersion: number;
  state: StateType;
  /**
   * The data subjects whose personal data the state may hold (from the events folded into it):
   * the stored state is then encrypted under each of their keys, and discarded once one of them
   * is forgotten. See docs/personal-data.md.
   */
  dataSubjects?: readonly string[];
}

/** Where a stream lives in Redis. */
export interface StreamLocation {
  streamName: string;
  category: string;
  id: string;
  partition: number;
  /** The aggregate's index: one 12-byte log position per version (see docs/key-layout.md). */
  indexKey: string;
  logKey: string;
  snapshotKey: string;
}

/**
 * An event store over one catalog of event types.
 *
 * @example
 * const store: EventStore<typeof events> = getRedisEventStore({ redis, events });
 * await store.append("account-1", [{ type: "Deposited", data: { amount: 10 } }], { expectedVersion: "no_stream" });
 * for await (const event of store.read("account-1")) console.log(event.version, event.type);
 */
export interface EventStore<Catalog extends EventCatalog = EventCatalog> {
  readonly catalog: Catalog;
  readonly keys: KeyLayout;
  /**
   * The archive archived versions are read from (the store's `archive` option), if any:
   * `startProjection` reads archived log entries from it too unless given another.
   */
  readonly archive?: EventArchive;
  /**
   * Appends events atomically (all or none) to the stream and its category partition log, after
   * checking `expectedVersion`, in one round trip. Throws `ConcurrencyError` (with the actual
   * version) on mismatch. Appending ids already appended returns the first result.
   */
  append(
    streamName: string,
    events: readonly NewEvent<EventInputOf<Catalog>>[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Reads a stream page by page; events are validated and upcast to the current schema. */
  read(streamName: string, options?: ReadOptions): AsyncIterable<RecordedEvent<EventOf<Catalog>>>;
  /**
   * Reads one page of a category's events, from every partition (merged by position) or one,
   * forward or backward, archived ones from the store's `archive`; pass the page's `next` as
   * `cursor` for the following page. Bad options, an unknown category or a partition it does
   * not have are refused with `InvalidArgumentError` before anything is read.
   *
   * @example
   * let page = await store.readCategory("order", { limit: 500 });
   * while (true) { handle(page.events); if (page.done) break; page = await store.readCategory("order", { limit: 500, cursor: page.next }); }
   */
  readCategory(
    category: string,
    options?: ReadCategoryOptions,
  ): Promise<CategoryPage<EventOf<Catalog>>>;
  /**
   * Every event of a category (or of one partition) in `readCategory`'s order, fetched page by
   * page: for backfills. Options are checked at the call; the category and partition when the
   * iteration starts.
   *
   * @example
   * for await (const event of store.iterateCategory("order", { from: `${since.getTime()}-0` })) console.log(event.position);
   */
  iterateCategory(
    category: string,
    options?: IterateCategoryOptions,
  ): AsyncIterable<RecordedEvent<EventOf<Catalog>>>;
  /** The stream's version: 0 when it does not exist. Survives trimming. */
  version(streamName: string): Promise<number>;
  /** Whether the stream exists. */
  exists(streamName: string): Promise<boolean>;
  /** The latest snapshot of the stream, if any (unchecked: callers check `schemaVersion`). */
  readSnapshot(streamName: string): Promise<Snapshot | undefined>;
  /** Stores a snapshot unless a newer one is there; resolves whether it was stored. */
  writeSnapshot(streamName: string, snapshot: Snapshot): Promise<boolean>;
  /** The partition count of a category (as recorded at its first write, else as configured). */
  partitionsOf(category: string): Promise<number>;
  /** Where a stream lives (its keys and partition). */
  locate(streamName: string): Promise<StreamLocation>;
  /**
   * This store's cache of personal-data keys (projection runners and dead-letter lists given the
   * store read with it). See docs/personal-data.md.
   */
  readonly personalData?: KeyRing;
  /**
   * Forgets a data subject: destroys its key (a tombstone the key store keeps, so later appends
   * of its personal data are refused with `SubjectForgottenError`) and records an audit entry
   * (`<prefix>:pd:audit`: subject id, time, `by`, `reason`; no personal data). From then on its
   * personal fields read as `{ forgotten: true }`: at once in this process, within the key
   * cache TTL (`personalData.keyCacheTtlMs`, default 10 s) in every other.
   *
   * @example
   * await store.forgetSubject("customer-42", { by: "dpo@example.com", reason: "GDPR art. 17 request 118" });
   */
  forgetSubject(subject: string, options?: { by?: string; reason?: string }): Promise<void>;
}
