import {
  defineEvents,
  type EventStore,
  isInvalidArgumentError,
  isInvalidStreamNameError,
  type ReadCategoryOptions,
  type RecordedEvent,
} from "@streamstore/core";
import { compareStreamIds } from "@streamstore/core/internal";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { dumpKeys, type EventStoreContractContext } from "./EventStoreContractContext.js";

const ledgerEvents = defineEvents({
  Opened: z.object({ owner: z.string() }),
  Deposited: z.object({ amount: z.number().positive() }),
});
type Ledger = EventStore<typeof ledgerEvents>;
type LedgerEvent = Awaited<ReturnType<Ledger["readCategory"]>>["events"][number];

const PARTITIONS = 4;
const STREAMS = 10;
const ROUNDS = 3;

/** The category order: by position, then partition. */
const categoryOrder = (a: RecordedEvent, b: RecordedEvent) =>
  compareStreamIds(a.position, b.position) || a.partition - b.partition;

/** Every page of a read, following `next` until a page says `done`. */
async function allPages(
  store: Ledger,
  options: ReadCategoryOptions,
): Promise<{ events: RecordedEvent[]; pages: number }> {
  const events: RecordedEvent[] = [];
  let cursor: string | undefined;
  for (let pages = 1; ; pages++) {
    // The first page starts where `options` say, the next ones past the previous page.
    const { from: _from, ...rest } = options;
    const page = await store.readCategory("ledger", cursor ? { ...rest, cursor } : options);
    expect(page.events.length).toBeLessThanOrEqual(options.limit ?? Number.POSITIVE_INFINITY);
    events.push(...page.events);
    if (page.done) return { events, pages };
    cursor = page.next;
  }
}

async function collect<Item>(iterable: AsyncIterable<Item>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const ids = (events: readonly RecordedEvent[]) => events.map((event) => event.id);

/**
 * The category-read part of the EventStore contract (`readCategory`, `iterateCategory`): paging
 * forward and backward over every partition or one, `from` and cursors, no gap and no duplicate
 * across pages, the same event objects as `read`, and typed refusals of bad options. Called by
 * `testEventStore` inside its suite.
 *
 * @example
 * describeCategoryReads(() => context);
 */
export function describeCategoryReads(context: () => EventStoreContractContext): void {
  describe("reading a category", () => {
    let store: Ledger;
    let prefix: string;
    /** Every event of the category, from `read` of each stream, in the category order. */
    let all: LedgerEvent[];
    beforeAll(async () => {
      prefix = context().newPrefix();
      store = context().createStore(ledgerEvents, { partitions: PARTITIONS, prefix });
      for (let round = 0; round < ROUNDS; round++) {
        for (let n = 0; n < STREAMS; n++) {
          await store.append(
            `ledger-${n}`,
            round === 0
              ? [{ type: "Opened", data: { owner: `o${n}` } }]
              : [{ type: "Deposited", data: { amount: round * 100 + n } }],
          );
        }
      }
      all = [];
      for (let n = 0; n < STREAMS; n++) all.push(...(await collect(store.read(`ledger-${n}`))));
      all.sort(categoryOrder);
      // Given events in more than one partition (otherwise the merge is not exercised).
      expect(new Set(all.map((event) => event.partition)).size).toBeGreaterThan(1);
    });

    it("pages forward over every partition in the category order, each event once, as read() returns it", async () => {
      // When
      const { events, pages } = await allPages(store, { limit: 7 });
      // Then
      expect(pages).toBe(Math.floor(all.length / 7) + 1);
      expect(events).toEqual(all);
    });

    it("pages backward in the reverse order", async () => {
      // When
      const { events } = await allPages(store, { limit: 4, direction: "backward" });
      // Then
      expect(ids(events)).toEqual(ids([...all].reverse()));
    });

    it("reads one partition: that partition's events in log order, forward and backward", async () => {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        // When
        const forward = await allPages(store, { partition, limit: 3 });
        const backward = await allPages(store, { partition, limit: 2, direction: "backward" });
        // Then
        const expected = all.filter((event) => event.partition === partition);
        expect(ids(forward.events)).toEqual(ids(expected));
        expect(ids(backward.events)).toEqual(ids([...expected].reverse()));
      }
    });

    it("starts at a position (inclusive) in either direction, and past a cursor (exclusive)", async () => {
      // Given
      const middle = all[Math.floor(all.length / 2)] as LedgerEvent;
      const atOrAfter = all.filter(
        (event) => compareStreamIds(event.position, middle.position) >= 0,
      );
      const atOrBefore = all.filter(
        (event) => compareStreamIds(event.position, middle.position) <= 0,
      );
      // When
      const forward = await allPages(store, { from: middle.position, limit: 5 });
      const backward = await allPages(store, {
        from: middle.position,
        limit: 5,
        direction: "backward",
      });
      const first = await store.readCategory("ledger", { limit: 9 });
      const rest = await store.readCategory("ledger", { cursor: first.next, limit: 1000 });
      const older = await store.readCategory("ledger", {
        cursor: first.next,
        direction: "backward",
        limit: 1000,
      });
      // Then
      expect(ids(forward.events)).toEqual(ids(atOrAfter));
      expect(ids(backward.events)).toEqual(ids(atOrBefore.reverse()));
      expect(first.next).toBe(`${first.events.at(-1)?.position}/${first.events.at(-1)?.partition}`);
      expect(ids([...first.events, ...rest.events])).toEqual(ids(all));
      expect(ids(older.events)).toEqual(ids(all.slice(0, 8).reverse()));
      expect(rest.done).toBe(true);
    });

    it("ends with an empty page that hands the cursor back, and a full last page is not done", async () => {
      // When
      const exact = await store.readCategory("ledger", { limit: all.length });
      const after = await store.readCategory("ledger", { cursor: exact.next });
      // Then
      expect(exact.done).toBe(false);
      expect(after).toEqual({ events: [], next: exact.next, done: true });
    });

    it("iterates every event, page by page, up to a limit", async () => {
      // When
      const everything = await collect(store.iterateCategory("ledger", { pageSize: 4 }));
      const newest = await collect(
        store.iterateCategory("ledger", { direction: "backward", limit: 6, pageSize: 4 }),
      );
      const onePartition = await collect(store.iterateCategory("ledger", { partition: 1 }));
      // Then
      expect(everything).toEqual(all);
      expect(ids(newest)).toEqual(ids([...all].reverse().slice(0, 6)));
      expect(ids(onePartition)).toEqual(ids(all.filter((event) => event.partition === 1)));
    });

    it("refuses bad options, an unknown category and a missing partition, typed, reading and writing nothing", async () => {
      // Given
      const before = await dumpKeys(context().redis, `${prefix}:*`);
      const bad: [string, () => Promise<unknown>, (error: unknown) => boolean][] = [
        ["unknown category", () => store.readCategory("ledgr"), isInvalidArgumentError],
        ["bad category name", () => store.readCategory("1-x"), isInvalidArgumentError],
        [
          "partition out of range",
          () => store.readCategory("ledger", { partition: PARTITIONS }),
          isInvalidArgumentError,
        ],
        [
          "negative partition",
          () => store.readCategory("ledger", { partition: -1 }),
          isInvalidArgumentError,
        ],
        [
          "fractional partition",
          () => store.readCategory("ledger", { partition: 1.5 }),
          isInvalidArgumentError,
        ],
        [
          "bad position",
          () => store.readCategory("ledger", { from: "yesterday" }),
          isInvalidArgumentError,
        ],
        [
          "bad cursor",
          () => store.readCategory("ledger", { cursor: "5-0" }),
          isInvalidArgumentError,
        ],
        [
          "from and cursor",
          () => store.readCategory("ledger", { from: "1-0", cursor: "1-0/0" }),
          isInvalidArgumentError,
        ],
        ["limit 0", () => store.readCategory("ledger", { limit: 0 }), isInvalidArgumentError],
        [
          "limit too large",
          () => store.readCategory("ledger", { limit: 100_001 }),
          isInvalidArgumentError,
        ],
        [
          "bad direction",
          () => store.readCategory("ledger", { direction: "up" as never }),
          isInvalidArgumentError,
        ],
        [
          "unknown category, iterated",
          () => collect(store.iterateCategory("ledgr")),
          isInvalidArgumentError,
        ],
        [
          "bad pageSize",
          async () => store.iterateCategory("ledger", { pageSize: 0 }),
          isInvalidArgumentError,
        ],
      ];
      for (const [name, attempt, guard] of bad) {
        // When
        const error = await attempt().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        // Then
        expect(
          guard(error) && !isInvalidStreamNameError(error),
          `${name}: got ${String(error)}`,
        ).toBe(true);
        expect((error as Error).message, name).toMatch(/^\[streamstore\] /);
      }
      expect(() => store.iterateCategory("ledger", { limit: -1 })).toThrow(/invalid limit/);
      expect(await dumpKeys(context().redis, `${prefix}:*`)).toEqual(before);
    });
  });
}
