import { compareStreamIds } from "@streamstore/core/internal";
import { describe, expect, it } from "vitest";
import { createInMemoryReadModelStore } from "../src/index.js";

const request = (overrides: object = {}) => ({
  build: "v1",
  partition: "account:0",
  fenceToken: 1,
  expectedPosition: "0-0",
  position: "5-0",
  appliedDelta: 3,
  documents: [{ key: "a", expectedRevision: 0, state: { n: 1 } }],
  deadLetters: [],
  clearAttempts: [],
  ...overrides,
});

describe("createInMemoryReadModelStore", () => {
  it("commits documents and the checkpoint together, and refuses a stale checkpoint or revision", async () => {
    // Given an empty store
    const store = createInMemoryReadModelStore({ name: "p" });

    // When a first batch commits, then two batches built on stale state try to
    const first = await store.commit(request());
    const staleCheckpoint = await store.commit(request());
    const staleRevision = await store.commit(request({ expectedPosition: "5-0", position: "6-0" }));

    // Then only the first took effect
    expect(first).toEqual({ status: "ok" });
    expect(staleCheckpoint).toEqual({ status: "checkpoint", actual: "5-0" });
    expect(staleRevision).toEqual({ status: "revision", staleKeys: ["a"] });
    expect(await store.loadDocuments("v1", ["a"])).toEqual([{ revision: 1, state: { n: 1 } }]);
    expect((await store.readCheckpoints("v1")).get("account:0")).toEqual({
      position: "5-0",
      applied: 3,
    });
  });
});

describe("compareStreamIds", () => {
  it("orders ids numerically, not as strings", () => {
    // Given / When / Then
    expect(compareStreamIds("9-0", "10-0")).toBeLessThan(0);
    expect(compareStreamIds("10-2", "10-10")).toBeLessThan(0);
    expect(compareStreamIds("10-10", "10-10")).toBe(0);
    expect(compareStreamIds("11-0", "10-99")).toBeGreaterThan(0);
  });
});
