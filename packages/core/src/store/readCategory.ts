import type { Cluster, Redis } from "ioredis";
import type { EventArchive } from "../archive/EventArchive.js";
import { InvalidArgumentError } from "../errors/index.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { AnyEvent, RecordedEvent } from "../events/types.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import type { KeyRing } from "../personalData/KeyRing.js";
import { subjectsOfEntries } from "../personalData/personalFields.js";
import {
  compareCategoryOrder,
  formatCategoryCursor,
  partitionStart,
  positionBefore,
} from "./categoryCursor.js";
import type { CategoryReadPlan } from "./checkCategoryRead.js";
import type { CategoryPage } from "./EventStore.js";
import { decodeEntry, type RawStreamEntry } from "./entryCodec.js";
import { readPartitionAfter } from "./readPartitionAfter.js";
import { readPartitionBefore } from "./readPartitionBefore.js";

/** What a category read needs from its store. */
export interface CategoryReadContext {
  redis: Redis | Cluster;
  catalog: EventCatalog;
  archive: EventArchive | undefined;
  keys: KeyLayout;
  /** Decrypts personal fields; undefined when the catalog has none. */
  keyRing: KeyRing | undefined;
  /**
   * The partition count of a category, undefined when it was never written (then the read is
   * refused: a typo reads nothing, silently, otherwise).
   */
  partitionsOf(category: string): Promise<number | undefined>;
  /** The categories this store has written, for the message refusing an unknown one. */
  knownCategories(): Promise<string[]>;
}

/** A raw log entry and the partition it was read from. */
export interface CategoryEntry {
  partition: number;
  entry: RawStreamEntry;
}

/** One partition's read: its next bound, its fetched entries not yet merged. */
interface PartitionReader {
  partition: number;
  /** Forward: read after it; backward: at or below it. Undefined: nothing more to read. */
  bound: string | undefined;
  buffer: RawStreamEntry[];
  offset: number;
}

async function partitionsToRead(
  context: CategoryReadContext,
  plan: CategoryReadPlan,
): Promise<number[]> {
  const count = await context.partitionsOf(plan.category);
  if (count === undefined) {
    const known = await context.knownCategories();
    throw new InvalidArgumentError(
      "category",
      `"${plan.category}" has no events in this store (prefix "${context.keys.prefix}"): check the name${known.length > 0 ? ` (written so far: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""})` : ""}. Nothing was read.`,
    );
  }
  if (plan.partition === undefined) return Array.from({ length: count }, (_, index) => index);
  if (plan.partition >= count) {
    throw new InvalidArgumentError(
      "partition",
      `"${plan.category}" has ${count} partition${count === 1 ? "" : "s"} (0 to ${count - 1}), not ${plan.partition}. Nothing was read.`,
    );
  }
  return [plan.partition];
}

/**
 * A category's raw entries in the plan's order: each partition read page by page (Redis or the
 * archive, see `readPartitionAfter`/`readPartitionBefore`), merged by (position, partition).
 * Pages of the partitions that need one are fetched together. A partition's short page is its
 * end. Throws for an unknown category or partition before anything is read.
 *
 * @example
 * for await (const { partition, entry } of readCategoryEntries(context, plan)) console.log(partition, entry[0]);
 */
export async function* readCategoryEntries(
  context: CategoryReadContext,
  plan: CategoryReadPlan,
): AsyncGenerator<CategoryEntry> {
  const { redis, archive, keys } = context;
  const { category, direction, pageSize } = plan;
  const forward = direction === "forward";
  const readers: PartitionReader[] = (await partitionsToRead(context, plan)).map((partition) => ({
    partition,
    bound: partitionStart(partition, direction, plan.start),
    buffer: [],
    offset: 0,
  }));
  const fetch = async (reader: PartitionReader, bound: string): Promise<void> => {
    const read = forward ? readPartitionAfter : readPartitionBefore;
    const page = await read(redis, archive, keys, category, reader.partition, bound, pageSize);
    reader.buffer = page;
    reader.offset = 0;
    const last = page.at(-1)?.[0];
    // A short page is the partition's end.
    reader.bound =
      last === undefined || page.length < pageSize
        ? undefined
        : forward
          ? last
          : positionBefore(last);
  };
  for (let yielded = 0; yielded < plan.limit; yielded++) {
    await Promise.all(
      readers.map((reader) =>
        reader.offset >= reader.buffer.length && reader.bound !== undefined
          ? fetch(reader, reader.bound)
          : undefined,
      ),
    );
    let best: PartitionReader | undefined;
    for (const reader of readers) {
      const head = reader.buffer[reader.offset];
      if (head === undefined) continue;
      const bestHead = best?.buffer[best.offset];
      if (
        best === undefined ||
        bestHead === undefined ||
        compareCategoryOrder(
          { position: head[0], partition: reader.partition },
          { position: bestHead[0], partition: best.partition },
        ) *
          (forward ? 1 : -1) <
          0
      ) {
        best = reader;
      }
    }
    if (best === undefined) return;
    yield { partition: best.partition, entry: best.buffer[best.offset++] as RawStreamEntry };
  }
}

/**
 * Decodes entries of a category through `decodeEntry`, the one decoder of every read (schema
 * check, upcasting, personal fields decrypted with the store's keys, loaded first).
 *
 * @example
 * const events = await decodeCategoryEntries(context, "order", entries);
 */
export async function decodeCategoryEntries<Event extends AnyEvent>(
  context: CategoryReadContext,
  category: string,
  entries: readonly CategoryEntry[],
): Promise<RecordedEvent<Event>[]> {
  const { keyRing, catalog, keys } = context;
  if (keyRing) await keyRing.load(subjectsOfEntries(entries.map(({ entry }) => entry)));
  return entries.map(({ partition, entry }) =>
    decodeEntry<Event>(
      catalog,
      entry,
      { streamName: keys.log(category, partition), category, partition, kind: "log" },
      keyRing,
    ),
  );
}

/**
 * One page of a category read (`store.readCategory`): up to `plan.limit` events and the cursor
 * after the last one.
 *
 * @example
 * const page = await readCategoryPage(context, checkCategoryRead("order", { limit: 100 }, "page", 1000));
 */
export async function readCategoryPage<Event extends AnyEvent>(
  context: CategoryReadContext,
  plan: CategoryReadPlan,
): Promise<CategoryPage<Event>> {
  const entries: CategoryEntry[] = [];
  for await (const entry of readCategoryEntries(context, plan)) entries.push(entry);
  const events = await decodeCategoryEntries<Event>(context, plan.category, entries);
  const last = events.at(-1);
  return {
    events,
    next: last ? formatCategoryCursor(last) : plan.cursor,
    done: events.length < plan.limit,
  };
}

/**
 * Every event of a category read (`store.iterateCategory`), decoded a round trip's worth at a
 * time.
 *
 * @example
 * for await (const event of iterateCategoryEvents(context, plan)) console.log(event.position);
 */
export async function* iterateCategoryEvents<Event extends AnyEvent>(
  context: CategoryReadContext,
  plan: CategoryReadPlan,
): AsyncGenerator<RecordedEvent<Event>> {
  let batch: CategoryEntry[] = [];
  for await (const entry of readCategoryEntries(context, plan)) {
    batch.push(entry);
    if (batch.length < plan.pageSize) continue;
    yield* await decodeCategoryEntries<Event>(context, plan.category, batch);
    batch = [];
  }
  if (batch.length > 0) yield* await decodeCategoryEntries<Event>(context, plan.category, batch);
}
