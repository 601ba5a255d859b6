import type { ArchivedEntry, RawStreamEntry } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { eligiblePrefix, highestVersions } from "../src/archiver/eligibleEntries.js";

const entry = (position: string): RawStreamEntry => [position, ["i", position]];
const page = ["100-0", "100-1", "200-0", "300-0", "1000-0"].map(entry);

describe("eligiblePrefix", () => {
  it("takes the entries older than the kept time, and stops at the first younger one", () => {
    // Given now = 1300 and 1000 ms kept hot
    // When the page is checked
    const count = eligiblePrefix(page, { nowMs: 1300, keepMs: 1000, groups: [] });
    // Then 100-0, 100-1 and 200-0 (older than 300) go, 300-0 (not older) and after stay
    expect(count).toBe(3);
  });

  it("takes nothing a consumer group has not read, and stops before its oldest pending entry", () => {
    // Given a group that read up to 200-0 and still holds 100-1 pending
    const groups = [{ group: "g", lastDelivered: "200-0", oldestPending: "100-1" }];
    // When the page is checked with no time limit
    const count = eligiblePrefix(page, { nowMs: 10_000, keepMs: 0, groups });
    // Then only 100-0 is settled by the group
    expect(count).toBe(1);
  });

  it("stops after the group's last delivered entry, whichever group is the furthest behind", () => {
    // Given two groups, one at 300-0 and one at 100-1, none pending
    const groups = [
      { group: "ahead", lastDelivered: "300-0", oldestPending: undefined },
      { group: "behind", lastDelivered: "100-1", oldestPending: undefined },
    ];
    // When the page is checked
    const count = eligiblePrefix(page, { nowMs: 10_000, keepMs: 0, groups });
    // Then 100-0 and 100-1 go: the group behind has read nothing after 100-1
    expect(count).toBe(2);
  });

  it("compares ids as numbers, not text", () => {
    // Given entries 9-0 and 10-0 and a group that read 9-5
    const groups = [{ group: "g", lastDelivered: "9-5", oldestPending: undefined }];
    // When checked
    const count = eligiblePrefix([entry("9-0"), entry("10-0")], { nowMs: 1000, keepMs: 0, groups });
    // Then 9-0 goes, 10-0 (after 9-5) stays
    expect(count).toBe(1);
  });
});

describe("highestVersions", () => {
  it("gives each aggregate of a step its highest version and that event's position", () => {
    // Given a step with two aggregates interleaved
    const archived = (streamName: string, version: number, position: string): ArchivedEntry => ({
      category: "order",
      partition: 0,
      position,
      streamName,
      version,
      eventId: `${streamName}/${version}`,
      type: "T",
      data: "{}",
      metadata: undefined,
      schemaVersion: 1,
    });
    const entries = [
      archived("order-a-1", 1, "1-0"),
      archived("order-b", 4, "1-1"),
      archived("order-a-1", 2, "2-0"),
    ];
    // When the trim's list is built
    // Then ids keep their dashes (the category is the part before the first one)
    expect(highestVersions(entries)).toEqual([
      { id: "a-1", version: 2, position: "2-0" },
      { id: "b", version: 4, position: "1-1" },
    ]);
  });
});
