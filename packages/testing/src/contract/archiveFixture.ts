import type { ArchivedEntry } from "@streamstore/core";
import { expect } from "vitest";

// The entries and helpers every part of the EventArchive contract uses.

/** An archived entry of stream `streamName` at `position`, the rest filled in plainly. */
export function entryAt(
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

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the call to fail").toBeDefined();
  return error;
}

export const positions = (entries: readonly ArchivedEntry[]) =>
  entries.map((entry) => entry.position);
export const versions = (entries: readonly ArchivedEntry[]) =>
  entries.map((entry) => entry.version);
export const EVERYTHING = { after: "0-0", limit: 1_000_000 };
