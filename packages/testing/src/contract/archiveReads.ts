import { type EventArchive, isInvalidArgumentError } from "@streamstore/core";
import { beforeEach, describe, expect, it } from "vitest";
import { entryAt, positions, rejection, versions } from "./archiveFixture.js";

/**
 * The EventArchive contract on readStream and readPartition.
 * Registered inside the suite's describe, after its `beforeEach`: `current` is the archive it
 * created for this test.
 */
export function describeArchiveReads(current: () => EventArchive): void {
  let archive: EventArchive;
  beforeEach(() => {
    archive = current();
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
        const error = await rejection(archive.readPartition(category, partition, request as never));
        // Then
        expect(isInvalidArgumentError(error), `${JSON.stringify(request)}: ${error}`).toBe(true);
      }
    });
  });
}
