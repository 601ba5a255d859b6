import type { EventArchive } from "@streamstore/core";
import { afterEach, beforeEach, describe } from "vitest";
import { describeArchiveReads } from "./archiveReads.js";
import { describeArchiveStatsAndIsolation } from "./archiveStatsAndIsolation.js";
import { describeArchiveWrites } from "./archiveWrites.js";

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
    const current = () => archive;
    describeArchiveWrites(current);
    describeArchiveReads(current);
    describeArchiveStatsAndIsolation(current);
  });
}
