import { describe, expect, it } from "vitest";
import type { DashboardSnapshot } from "../src/dashboard/collectSnapshot.js";
import { createSampleHistory } from "../src/dashboard/createSampleHistory.js";

function snapshot(at: number, entriesAdded: number, applied: number, lag = 0): DashboardSnapshot {
  return {
    at,
    prefix: "shop",
    categories: [{ category: "cart", partitions: 1, entriesAdded, length: entriesAdded }],
    projections: [
      {
        name: "__proto__",
        build: "v1",
        activeBuild: "v1",
        state: "live",
        lag,
        applied,
        pending: 0,
        workers: 1,
        deadLetters: 0,
        healthy: lag === 0,
        partitions: [],
      },
    ],
    groups: [],
  };
}

describe("createSampleHistory", () => {
  it("derives events per second from the deltas between samples and reads a reset as 0, not a negative rate", () => {
    // Given a history
    const history = createSampleHistory({ capacity: 10 });

    // When 3 samples arrive: a start, 500 appended and 400 applied in 2 s, then a rebuild restarting applied at 0
    const first = history.record(snapshot(0, 1000, 1000));
    const second = history.record(snapshot(2000, 1500, 1400, 100));
    const third = history.record(snapshot(3000, 1500, 0, 1500));

    // Then the first has no rate, the second 250/s appended and 200/s applied, the third 0 applied
    expect(first.appendedPerSecond).toBe(0);
    expect(second.appendedPerSecond).toBe(250);
    expect(second.projections[0]).toEqual({
      name: "__proto__",
      lag: 100,
      appliedPerSecond: 200,
      deadLetters: 0,
    });
    expect(third.projections[0]?.appliedPerSecond).toBe(0);
  });

  it("keeps only the newest `capacity` samples, oldest first", () => {
    // Given a history of 3 samples at most
    const history = createSampleHistory({ capacity: 3 });

    // When 5 are recorded
    for (let second = 1; second <= 5; second++) history.record(snapshot(second * 1000, second, 0));

    // Then the last 3 remain in order
    expect(history.samples().map((sample) => sample.at)).toEqual([3000, 4000, 5000]);
  });
});
