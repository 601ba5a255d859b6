import { describe, expect, it } from "vitest";
import {
  compareCategoryOrder,
  formatCategoryCursor,
  parseCategoryCursor,
  partitionStart,
  positionBefore,
} from "../src/store/categoryCursor.js";

describe("category cursors", () => {
  it("steps back one stream id, across a millisecond, and not below 0-0", () => {
    expect(positionBefore("5-3")).toBe("5-2");
    expect(positionBefore("5-0")).toBe("4-9223372036854775807");
    expect(positionBefore("0-1")).toBe("0-0");
    expect(positionBefore("0-0")).toBeUndefined();
  });

  it("orders by position numerically, then by partition", () => {
    const at = (position: string, partition: number) => ({ position, partition });
    expect(compareCategoryOrder(at("9-0", 5), at("10-0", 0))).toBeLessThan(0);
    expect(compareCategoryOrder(at("10-0", 1), at("10-0", 0))).toBeGreaterThan(0);
    expect(compareCategoryOrder(at("10-0", 1), at("10-0", 1))).toBe(0);
  });

  it("round-trips a cursor and refuses anything else", () => {
    const cursor = { position: "1700000000000-12", partition: 7 };
    expect(parseCategoryCursor(formatCategoryCursor(cursor), "cursor")).toEqual(cursor);
    for (const bad of [
      "5-0",
      "5-0/",
      "5/1",
      "a-0/1",
      "5-0/1/2",
      "99999999999999999999-0/1",
      5,
      null,
    ]) {
      expect(() => parseCategoryCursor(bad, "cursor"), String(bad)).toThrow(
        /\[streamstore\] invalid cursor/,
      );
    }
  });

  it("starts each partition just past a cursor in the category order", () => {
    const after = { position: "10-4", partition: 2 };
    // Forward: partitions up to the cursor's continue after its position, later ones at it.
    expect(partitionStart(1, "forward", { after })).toBe("10-4");
    expect(partitionStart(2, "forward", { after })).toBe("10-4");
    expect(partitionStart(3, "forward", { after })).toBe("10-3");
    // Backward: earlier partitions still have the cursor's position, it and later ones below it.
    expect(partitionStart(1, "backward", { after })).toBe("10-4");
    expect(partitionStart(2, "backward", { after })).toBe("10-3");
    expect(
      partitionStart(3, "backward", { after: { position: "0-0", partition: 0 } }),
    ).toBeUndefined();
    // From a position (inclusive), and from the start.
    expect(partitionStart(0, "forward", { from: "10-0" })).toBe("9-9223372036854775807");
    expect(partitionStart(0, "backward", { from: "10-0" })).toBe("10-0");
    expect(partitionStart(0, "forward", {})).toBe("0-0");
    expect(partitionStart(0, "backward", {})).toBe("+");
  });
});
