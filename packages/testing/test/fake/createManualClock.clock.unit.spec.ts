import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/index.js";
import { systemClock } from "../../src/internal.js";

describe("createManualClock", () => {
  it("stands still until advanced or set", () => {
    // Given
    const clock = createManualClock(1_000);
    // When
    const before = clock.now();
    clock.advance(250);
    const advanced = clock.now();
    clock.set(5);
    // Then
    expect([before, advanced, clock.now()]).toEqual([1_000, 1_250, 5]);
  });

  it("refuses times that are not finite numbers", () => {
    // Given
    const clock = createManualClock(0);
    // When / Then
    expect(() => clock.advance(Number.NaN)).toThrow(
      "[streamstore] a clock time must be a finite number",
    );
    expect(() => createManualClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("defaults to the wall clock, like systemClock", () => {
    // Given
    const before = Date.now();
    // When
    const clock = createManualClock();
    // Then
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);
  });
});
