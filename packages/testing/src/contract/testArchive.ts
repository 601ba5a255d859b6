import {
  type ArchivedEntry,
  type EventArchive,
  isArchiveConflictError,
  isCorruptEventError,
  isInvalidArgumentError,
} from "@streamstore/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** An archived entry of stream `streamName` at `position`, the rest filled in plainly. */
function entryAt(
  position: string,
  streamName: string,
  version: number,
  overrides: Partial<ArchivedEntry> = {},
): ArchivedEntry {
  return {
    category: streamName.slice(0, streamName.indexOf("-")),
    partition: 0,
    position,
    streamName,
    version,
    eventId: `${streamName}/${version}`,
    type: "Placed",
    data: `{"version":${version}}`,
    metadata: undefined,
    schemaVersion: 1,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the call to fail").toBeDefined();
  return error;
}

const positions = (entries: readonly ArchivedEntry[]) => entries.map((entry) => entry.position);
const versions = (entries: readonly ArchivedEntry[]) => entries.map((entry) => entry.version);
const EVERYTHING = { after: "0-0", limit: 1_000_000 };

/**
 * The behaviour every streamstore archive (the cold tier) must have, as a vitest suite: exact
 * JSON text round trips, idempotent and all-or-nothing writes, one position per (stream,
 * version), reads by stream (both directions, bounds, limits) and by partition (numeric position
 * order, after/until/limit), last positions, stats and isolation of categories and partitions.
 * `createArchive` is called before every test and must return an empty archive (a new table, a
 * new in-memory archive); the suite closes it after the test.
 *
 * @example
 * import { createInMemoryArchive } from "@streamstore/testing";
 * import { testArchive } from "@streamstore/testing/contract";
 * testArchive("in memory", () => createInMemoryArchive());
 */
export function testArchive(
  label: string,
  createArchive: () => EventArchive | Promise<EventArchive>,
): void {
  describe(`EventArchive contract (${label})`, () => {
    let archive: EventArchive;
    beforeEach(async () => {
      archive = await createArchive();
    });
    afterEach(async () => {
      await archive?.close();
    });

    describe("write and read back", () => {
      it("returns every field as written, the JSON as the exact text appended", async () => {
        // Given: JSON texts a parse-and-stringify round trip (or PostgreSQL's jsonb) would change
        const texts = [
          '{"b":1,"a":2}',
          '{ "spaced" : [ 1 , 2 ] }',
          '{"nul":"\\u0000","tab":"\\t","quote":"\\""}',
          '{"text":"é 漢字 😀"}',
          '{"lone":"\\ud800"}',
          '{"big":123456789012345678901234567890,"exp":1.0E+2,"negativeZero":-0}',
          '{"a":1,"a":2}',
          '"just a string"',
          "null",
        ];
        const written = texts.map((data, index) =>
          entryAt(`1700000000000-${index}`, `order-${index}`, 1, {
            data,
            metadata: index % 2 === 0 ? undefined : `{"z":1,"a":{"text":"ü"},"n":1e400}`,
            schemaVersion: index + 1,
            eventId: `évent-${index}`,
            type: `Type${index}`,
          }),
        );
        // When
        await archive.write(written);
        // Then
        expect(await archive.readPartition("order", 0, EVERYTHING)).toEqual(written);
        for (const entry of written) {
          const [read] = await archive.readStream(entry.streamName, {
            direction: "forward",
            from: 1,
            to: 1,
            limit: 1,
          });
          expect(read).toEqual(entry);
          expect(read?.data).toBe(entry.data);
          expect(read?.metadata).toBe(entry.metadata);
        }
      });

      it("resolves on an empty write and stores nothing", async () => {
        // When
        await archive.write([]);
        // Then
        expect(await archive.stats()).toEqual([]);
        expect(await archive.lastPosition("order", 0)).toBeUndefined();
      });
    });

    describe("idempotency and all-or-nothing", () => {
      it("stores each position once when writes are repeated or overlap", async () => {
        // Given
        const [a, b, c] = [
          entryAt("1-0", "order-1", 1),
          entryAt("2-0", "order-1", 2),
          entryAt("3-0", "order-2", 1),
        ] as [ArchivedEntry, ArchivedEntry, ArchivedEntry];
        await archive.write([a, b]);
        // When
        await archive.write([a, b]);
        await archive.write([b, c, a, c]);
        // Then
        expect(await archive.readPartition("order", 0, EVERYTHING)).toEqual([a, b, c]);
        expect((await archive.stats())[0]?.events).toBe(3);
      });

      it("keeps what it holds at a position when that position is written again", async () => {
        // Given
        const first = entryAt("5-0", "order-1", 1, { data: '{"first":true}' });
        await archive.write([first]);
        // When
        await archive.write([{ ...first, data: '{"second":true}', eventId: "other" }]);
        // Then
        expect(await archive.readPartition("order", 0, EVERYTHING)).toEqual([first]);
      });

      it("refuses a write putting a stored (stream, version) at another position, storing none of it", async () => {
        // Given
        const stored = entryAt("10-0", "order-1", 1);
        await archive.write([stored]);
        // When
        const error = await rejection(
          archive.write([
            entryAt("11-0", "order-2", 1),
            entryAt("12-0", "order-1", 1),
            entryAt("13-0", "order-2", 2),
          ]),
        );
        // Then
        expect(isArchiveConflictError(error), String(error)).toBe(true);
        expect(error).toMatchObject({
          streamName: "order-1",
          version: 1,
          storedPosition: "10-0",
          position: "12-0",
        });
        expect(String((error as Error).message)).toMatch(/^\[streamstore\] /);
        expect(await archive.readPartition("order", 0, EVERYTHING)).toEqual([stored]);
        expect(
          await archive.readStream("order-2", { direction: "forward", from: 1, to: 9, limit: 9 }),
        ).toEqual([]);
      });

      it("refuses a write holding one (stream, version) at two positions", async () => {
        // When
        const error = await rejection(
          archive.write([
            entryAt("1-0", "order-9", 1),
            entryAt("2-0", "order-8", 1),
            entryAt("3-0", "order-9", 1),
          ]),
        );
        // Then
        expect(isArchiveConflictError(error), String(error)).toBe(true);
        expect(error).toMatchObject({ streamName: "order-9", version: 1, position: "3-0" });
        expect((error as { storedPosition?: string }).storedPosition).toBeUndefined();
        expect(await archive.stats()).toEqual([]);
      });

      it("refuses malformed entries with typed errors before storing any", async () => {
        // Given
        const good = entryAt("1-0", "order-1", 1);
        // When
        const badPosition = await rejection(
          archive.write([good, entryAt("not-a-position", "order-1", 2)]),
        );
        const badData = await rejection(
          archive.write([good, entryAt("2-0", "order-1", 2, { data: "{not json" })]),
        );
        const badVersion = await rejection(archive.write([good, entryAt("3-0", "order-1", 0)]));
        // Then
        expect(isInvalidArgumentError(badPosition), String(badPosition)).toBe(true);
        expect(isCorruptEventError(badData), String(badData)).toBe(true);
        expect(isCorruptEventError(badVersion), String(badVersion)).toBe(true);
        expect(await archive.stats()).toEqual([]);
      });
    });

    describe("readStream", () => {
      const stream = "order-42";
      beforeEach(async () => {
        // Versions 1..10, written out of order and spread over two batches.
        const all = Array.from({ length: 10 }, (_, index) =>
          entryAt(`${100 + index}-0`, stream, index + 1),
        );
        await archive.write([...all.slice(5)].reverse());
        await archive.write(all.slice(0, 5));
      });

      it("reads versions from..to forward, up to the limit", async () => {
        // When
        const window = await archive.readStream(stream, {
          direction: "forward",
          from: 3,
          to: 7,
          limit: 100,
        });
        const limited = await archive.readStream(stream, {
          direction: "forward",
          from: 3,
          to: 7,
          limit: 2,
        });
        const open = await archive.readStream(stream, {
          direction: "forward",
          from: 9,
          to: Number.POSITIVE_INFINITY,
          limit: 100,
        });
        // Then
        expect(versions(window)).toEqual([3, 4, 5, 6, 7]);
        expect(versions(limited)).toEqual([3, 4]);
        expect(versions(open)).toEqual([9, 10]);
        expect(positions(window)).toEqual(["102-0", "103-0", "104-0", "105-0", "106-0"]);
      });

      it("reads backward from `to`, up to the limit", async () => {
        // When
        const limited = await archive.readStream(stream, {
          direction: "backward",
          from: 3,
          to: 7,
          limit: 2,
        });
        const all = await archive.readStream(stream, {
          direction: "backward",
          from: 1,
          to: 1000,
          limit: 1000,
        });
        // Then
        expect(versions(limited)).toEqual([7, 6]);
        expect(versions(all)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      });

      it("reads nothing for an empty range or another stream", async () => {
        // When
        const reversed = await archive.readStream(stream, {
          direction: "forward",
          from: 7,
          to: 3,
          limit: 10,
        });
        const beyond = await archive.readStream(stream, {
          direction: "backward",
          from: 11,
          to: 20,
          limit: 10,
        });
        const other = await archive.readStream("order-4", {
          direction: "forward",
          from: 1,
          to: 10,
          limit: 10,
        });
        // Then
        expect([reversed, beyond, other]).toEqual([[], [], []]);
      });

      it("refuses bad requests with InvalidArgumentError", async () => {
        // Given
        const bad = [
          { direction: "forward", from: 0, to: 5, limit: 5 },
          { direction: "forward", from: 1, to: 5, limit: 0 },
          { direction: "sideways", from: 1, to: 5, limit: 5 },
          { direction: "forward", from: 1.5, to: 5, limit: 5 },
        ] as const;
        for (const request of bad) {
          // When
          const error = await rejection(archive.readStream(stream, request as never));
          // Then
          expect(isInvalidArgumentError(error), `${JSON.stringify(request)}: ${error}`).toBe(true);
        }
      });
    });

    describe("readPartition", () => {
      // Written out of order; in position order: 5-9, 5-10, 9-0, 9-1, 10-0, 100-0.
      const written = ["10-0", "9-0", "5-10", "100-0", "5-9", "9-1"].map((position, index) =>
        entryAt(position, `order-${index}`, 1),
      );
      beforeEach(async () => {
        await archive.write(written);
      });

      it("reads in numeric position order (9-0 before 10-0, 5-9 before 5-10)", async () => {
        // When
        const read = await archive.readPartition("order", 0, { after: "0-0", limit: 100 });
        // Then
        expect(positions(read)).toEqual(["5-9", "5-10", "9-0", "9-1", "10-0", "100-0"]);
      });

      it("reads after a position (exclusive), until one (inclusive), up to the limit", async () => {
        // When
        const afterLimited = await archive.readPartition("order", 0, { after: "5-9", limit: 2 });
        const window = await archive.readPartition("order", 0, {
          after: "9-0",
          until: "10-0",
          limit: 100,
        });
        const betweenEntries = await archive.readPartition("order", 0, {
          after: "6-0",
          until: "99-99",
          limit: 100,
        });
        const atEnd = await archive.readPartition("order", 0, { after: "100-0", limit: 100 });
        const untilBeforeAfter = await archive.readPartition("order", 0, {
          after: "10-0",
          until: "9-0",
          limit: 100,
        });
        // Then
        expect(positions(afterLimited)).toEqual(["5-10", "9-0"]);
        expect(positions(window)).toEqual(["9-1", "10-0"]);
        expect(positions(betweenEntries)).toEqual(["9-0", "9-1", "10-0"]);
        expect(atEnd).toEqual([]);
        expect(untilBeforeAfter).toEqual([]);
      });

      it("reads backward: the last entries of the range (until inclusive, after exclusive), newest first", async () => {
        // When
        const newest = await archive.readPartition("order", 0, {
          after: "0-0",
          limit: 2,
          direction: "backward",
        });
        const window = await archive.readPartition("order", 0, {
          after: "5-9",
          until: "9-1",
          limit: 100,
          direction: "backward",
        });
        const limited = await archive.readPartition("order", 0, {
          after: "0-0",
          until: "10-0",
          limit: 3,
          direction: "backward",
        });
        const empty = await archive.readPartition("order", 0, {
          after: "9-0",
          until: "9-0",
          limit: 5,
          direction: "backward",
        });
        // Then
        expect(positions(newest)).toEqual(["100-0", "10-0"]);
        expect(positions(window)).toEqual(["9-1", "9-0", "5-10"]);
        expect(positions(limited)).toEqual(["10-0", "9-1", "9-0"]);
        expect(empty).toEqual([]);
      });

      it("refuses bad requests with InvalidArgumentError", async () => {
        // Given
        const bad: [string, number, unknown][] = [
          ["order", 0, { after: "0-0", limit: 5, direction: "sideways" }],
          ["order", 0, { after: "abc", limit: 5 }],
          ["order", 0, { after: "0-0", until: "1", limit: 5 }],
          ["order", 0, { after: "0-0", limit: 0 }],
          ["order", -1, { after: "0-0", limit: 5 }],
          ["", 0, { after: "0-0", limit: 5 }],
        ];
        for (const [category, partition, request] of bad) {
          // When
          const error = await rejection(
            archive.readPartition(category, partition, request as never),
          );
          // Then
          expect(isInvalidArgumentError(error), `${JSON.stringify(request)}: ${error}`).toBe(true);
        }
      });
    });

    describe("lastPosition and stats", () => {
      it("gives the numerically highest position, undefined when a partition is empty", async () => {
        // Given
        expect(await archive.lastPosition("order", 0)).toBeUndefined();
        // When
        await archive.write([entryAt("10-0", "order-1", 1), entryAt("9-99", "order-2", 1)]);
        // Then
        expect(await archive.lastPosition("order", 0)).toBe("10-0");
        expect(await archive.lastPosition("order", 1)).toBeUndefined();
        expect(await archive.lastPosition("invoice", 0)).toBeUndefined();
      });

      it("counts events and bytes per category partition", async () => {
        // Given
        await archive.write([
          entryAt("1-0", "order-1", 1),
          entryAt("10-0", "order-1", 2),
          entryAt("9-0", "order-2", 1),
          entryAt("3-0", "order-3", 1, { partition: 1, data: `{"note":"${"x".repeat(1500)}"}` }),
          entryAt("2-0", "invoice-1", 1),
        ]);
        // When
        const stats = await archive.stats();
        // Then
        const byPartition = [...stats].sort((a, b) =>
          `${a.category}/${a.partition}`.localeCompare(`${b.category}/${b.partition}`),
        );
        expect(byPartition).toEqual([
          {
            category: "invoice",
            partition: 0,
            events: 1,
            bytes: expect.any(Number),
            lastPosition: "2-0",
          },
          {
            category: "order",
            partition: 0,
            events: 3,
            bytes: expect.any(Number),
            lastPosition: "10-0",
          },
          {
            category: "order",
            partition: 1,
            events: 1,
            bytes: expect.any(Number),
            lastPosition: "3-0",
          },
        ]);
        const [invoice, order0, order1] = byPartition as [
          (typeof stats)[0],
          (typeof stats)[0],
          (typeof stats)[0],
        ];
        expect(invoice.bytes).toBeGreaterThan(0);
        expect(order0.bytes).toBeGreaterThan(invoice.bytes);
        // The 1.5 kB payload is counted (below the size at which PostgreSQL compresses a row).
        expect(order1.bytes).toBeGreaterThan(1500);
      });
    });

    describe("isolation", () => {
      it("keeps categories and partitions apart, also at equal positions", async () => {
        // Given
        const order0 = entryAt("7-0", "order-1", 1);
        const order1 = entryAt("7-0", "order-2", 1, { partition: 1 });
        const invoice0 = entryAt("7-0", "invoice-1", 1);
        // When
        await archive.write([order0, order1, invoice0]);
        // Then
        expect(await archive.readPartition("order", 0, EVERYTHING)).toEqual([order0]);
        expect(await archive.readPartition("order", 1, EVERYTHING)).toEqual([order1]);
        expect(await archive.readPartition("invoice", 0, EVERYTHING)).toEqual([invoice0]);
        expect(await archive.readPartition("invoice", 1, EVERYTHING)).toEqual([]);
        expect(await archive.lastPosition("order", 1)).toBe("7-0");
        expect(
          await archive.readStream("order-2", { direction: "forward", from: 1, to: 5, limit: 5 }),
        ).toEqual([order1]);
      });
    });

    describe("many events", () => {
      it("stores 5,000 events of 50 streams and reads them back in pages and per stream", async () => {
        // Given: 7 entries per ms, streams interleaved, in batches of 1,000
        const all = Array.from({ length: 5000 }, (_, i) =>
          entryAt(
            `${1_700_000_000_000 + Math.floor(i / 7)}-${i % 7}`,
            `order-${i % 50}`,
            Math.floor(i / 50) + 1,
            {
              data: `{"i":${i},"note":"${"n".repeat(150)}"}`,
            },
          ),
        );
        // When
        for (let from = 0; from < all.length; from += 1000)
          await archive.write(all.slice(from, from + 1000));
        // Then
        const read: ArchivedEntry[] = [];
        let after = "0-0";
        for (;;) {
          const page = await archive.readPartition("order", 0, { after, limit: 1000 });
          read.push(...page);
          if (page.length < 1000) break;
          after = page.at(-1)?.position as string;
        }
        expect(read).toEqual(all);
        const stream7 = await archive.readStream("order-7", {
          direction: "forward",
          from: 1,
          to: Number.POSITIVE_INFINITY,
          limit: 1000,
        });
        expect(versions(stream7)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect(stream7.map((entry) => entry.data)).toEqual(
          all.filter((entry) => entry.streamName === "order-7").map((entry) => entry.data),
        );
        expect(await archive.lastPosition("order", 0)).toBe(all.at(-1)?.position);
        expect(await archive.stats()).toMatchObject([
          { category: "order", partition: 0, events: 5000 },
        ]);
      });
    });
  });
}
