import { type ArchivedEntry, isArchiveUnavailableError } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { createInMemoryArchive } from "../../src/archive/createInMemoryArchive.js";

const entry: ArchivedEntry = {
  category: "order",
  partition: 0,
  position: "1700000000000-0",
  streamName: "order-1",
  version: 1,
  eventId: "e1",
  type: "Placed",
  data: '{"total":5}',
  metadata: undefined,
  schemaVersion: 1,
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
}

describe("createInMemoryArchive: availability", () => {
  it("acts as an unreachable server while set unavailable, storing nothing", async () => {
    // Given
    const archive = createInMemoryArchive({ name: "memory://cold" });
    archive.controls.setAvailable(false);
    // When
    const calls = [
      archive.write([entry]),
      archive.readStream("order-1", { direction: "forward", from: 1, to: 1, limit: 1 }),
      archive.readPartition("order", 0, { after: "0-0", limit: 1 }),
      archive.lastPosition("order", 0),
      archive.stats(),
    ];
    const errors = await Promise.all(calls.map(rejection));
    // Then
    for (const error of errors) {
      expect(isArchiveUnavailableError(error), String(error)).toBe(true);
      expect(error).toMatchObject({ target: "memory://cold" });
      expect((error as Error).message).toMatch(/^\[streamstore\] .*@streamstore\/archive README/);
    }
    expect(archive.controls.entries()).toEqual([]);
  });

  it("works again once set available, and a retried write stores its entries once", async () => {
    // Given
    const archive = createInMemoryArchive();
    await archive.write([entry]);
    archive.controls.setAvailable(false);
    await rejection(archive.write([entry]));
    // When
    archive.controls.setAvailable(true);
    await archive.write([entry]);
    // Then
    expect(archive.controls.entries()).toEqual([entry]);
    expect(await archive.lastPosition("order", 0)).toBe(entry.position);
  });

  it("refuses calls after close() with ArchiveUnavailableError", async () => {
    // Given
    const archive = createInMemoryArchive();
    // When
    await archive.close();
    const error = await rejection(archive.stats());
    // Then
    expect(isArchiveUnavailableError(error), String(error)).toBe(true);
  });

  it("hands out copies: changing what was read or written changes nothing stored", async () => {
    // Given
    const archive = createInMemoryArchive();
    const written = { ...entry };
    await archive.write([written]);
    // When
    written.data = '{"total":6}';
    const [read] = await archive.readPartition("order", 0, { after: "0-0", limit: 1 });
    if (read) read.data = '{"total":7}';
    // Then
    expect(archive.controls.entries()).toEqual([entry]);
  });
});
