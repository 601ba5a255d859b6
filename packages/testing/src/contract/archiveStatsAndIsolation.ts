import type { ArchivedEntry, EventArchive } from "@streamstore/core";
import { beforeEach, describe, expect, it } from "vitest";
import { EVERYTHING, entryAt, versions } from "./archiveFixture.js";

/**
 * The EventArchive contract on last positions, stats, isolation and many events.
 * Registered inside the suite's describe, after its `beforeEach`: `current` is the archive it
 * created for this test.
 */
export function describeArchiveStatsAndIsolation(current: () => EventArchive): void {
  let archive: EventArchive;
  beforeEach(() => {
    archive = current();
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
}
