import {
  type ArchivedEntry,
  type EventArchive,
  isArchiveConflictError,
  isCorruptEventError,
  isInvalidArgumentError,
} from "@streamstore/core";
import { beforeEach, describe, expect, it } from "vitest";
import { EVERYTHING, entryAt, rejection } from "./archiveFixture.js";

/**
 * The EventArchive contract on writes: round trips, idempotency, all-or-nothing.
 * Registered inside the suite's describe, after its `beforeEach`: `current` is the archive it
 * created for this test.
 */
export function describeArchiveWrites(current: () => EventArchive): void {
  let archive: EventArchive;
  beforeEach(() => {
    archive = current();
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
}
