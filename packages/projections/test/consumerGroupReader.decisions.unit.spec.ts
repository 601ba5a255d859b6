import { describe, expect, it } from "vitest";
import { backoffMs, FailureStreak } from "../src/consumer/backoff.js";
import { autoClaimPage, entriesOfRead } from "../src/consumer/replies.js";

describe("backoffMs", () => {
  it("doubles from the base and stops at the maximum", () => {
    // Given a 100 ms base and a 1,000 ms maximum
    // When the first six retries are computed
    const delays = [0, 1, 2, 3, 4, 5].map((exponent) => backoffMs(100, 1000, exponent));
    // Then they double until the maximum holds them
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe("FailureStreak", () => {
  it("doubles the delay up to the cap, warns on the first failure and then once per 5 s", () => {
    // Given a streak with a 250 ms base and a 1,000 ms cap
    const failures = new FailureStreak(250, 1000);
    // When it fails at t = 0, 100, 200, 5,100 and 5,200 ms
    const steps = [0, 100, 200, 5100, 5200].map((now) => failures.fail(now));
    // Then the delay doubles to the cap, and only the first and the one 5 s later warn
    expect(steps.map((step) => step.delayMs)).toEqual([250, 500, 1000, 1000, 1000]);
    expect(steps.map((step) => step.warn)).toEqual([true, false, false, true, false]);
    expect(steps.map((step) => step.failuresInARow)).toEqual([1, 2, 3, 4, 5]);
  });

  it("starts over after a reset: base delay and a warning at once", () => {
    // Given a streak of three failures
    const failures = new FailureStreak(250, 5000);
    for (const now of [0, 10, 20]) failures.fail(now);
    // When it is reset and fails again 30 ms later
    failures.reset();
    const step = failures.fail(30);
    // Then it is the first failure of a new streak
    expect(step).toEqual({ delayMs: 250, warn: true, failuresInARow: 1 });
    expect(failures.failuresInARow).toBe(1);
  });

  it("never waits less than the base, even with a lower cap", () => {
    // Given a base above the cap (a long reconnectDelayMs, a short heartbeat)
    const failures = new FailureStreak(2000, 500);
    // When it fails twice
    const delays = [failures.fail(0), failures.fail(1)].map((step) => step.delayMs);
    // Then both wait the base
    expect(delays).toEqual([2000, 2000]);
  });
});

describe("entriesOfRead", () => {
  it("takes the one stream's entries, and nothing from a timeout or an odd reply", () => {
    // Given a reply with two entries, a timeout (null), and replies of unexpected shapes
    const entries = [
      ["1-0", ["t", "Opened"]],
      ["2-0", ["t", "Closed"]],
    ];
    // When their entries are taken
    // Then only the first yields entries
    expect(entriesOfRead([["log", entries]])).toEqual(entries);
    expect(entriesOfRead(null)).toEqual([]);
    expect(entriesOfRead([])).toEqual([]);
    expect(entriesOfRead([["log", null]])).toEqual([]);
  });
});

describe("autoClaimPage", () => {
  it("reads the cursor, the claimed items and the deleted ids (absent before Redis 7)", () => {
    // Given a Redis 7 reply with a deleted id, and a Redis 6.2 reply without the third element
    // When they are parsed
    const seven = autoClaimPage<string>(["5-0", ["1-0", "2-0"], ["3-0"]]);
    const six = autoClaimPage<string>(["0-0", ["4-0"]]);
    // Then each part is where the caller expects it
    expect(seven).toEqual({ cursor: "5-0", claimed: ["1-0", "2-0"], deleted: ["3-0"] });
    expect(six).toEqual({ cursor: "0-0", claimed: ["4-0"], deleted: [] });
  });

  it("ends the scan on a reply it cannot read", () => {
    // Given a reply that is not an array
    // When it is parsed
    const page = autoClaimPage<string>("OK");
    // Then the cursor says the scan is over, with nothing claimed
    expect(page).toEqual({ cursor: "0-0", claimed: [], deleted: [] });
  });
});
