import { defineEvents, isInvalidArgumentError, type RawStreamEntry } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineProjection } from "../src/projection/defineProjection.js";
import { type BatchSource, decodeBatch } from "../src/runner/foldBatch.js";

const events = defineEvents({ Deposited: z.object({ amount: z.number(), to: z.string() }) });

// A projection keyed by the event's `to` field: the test chooses every key.
const byRecipient = defineProjection(events, {
  name: "by-recipient",
  version: 1,
  source: ["account"],
  key: (event) => event.data.to,
  initialState: () => ({ total: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      draft.total += event.data.amount;
    },
  },
});

const source: BatchSource = {
  projection: byRecipient as unknown as BatchSource["projection"],
  keyRing: undefined,
  logKey: "t:{account:0}:log",
  category: "account",
  partition: 0,
  field: "account:0",
};

const entry = (n: number, to: string): RawStreamEntry => [
  `1700000000000-${n}`,
  ["i", `e${n}`, "t", "Deposited", "d", JSON.stringify({ amount: n, to }), "a", "1", "v", `${n}`],
];

describe("decodeBatch", () => {
  it("checks every read-model key: an invalid one after valid ones stops the batch there", () => {
    // Given a batch whose keys are "alice", "alice", then one with a space, then "bob"
    const batch = [entry(1, "alice"), entry(2, "alice"), entry(3, "carol smith"), entry(4, "bob")];
    // When it is decoded
    const decoded = decodeBatch(source, batch);
    // Then the first two are keyed, and the third is the batch's failure with a typed error
    expect(decoded.keys).toEqual(["alice", "alice"]);
    expect(decoded.failure?.index).toBe(2);
    expect(isInvalidArgumentError(decoded.failure?.error)).toBe(true);
  });

  it("keys a batch that runs on one document, and one that alternates", () => {
    // Given a batch on one document, then one alternating between two
    const same = decodeBatch(source, [entry(1, "alice"), entry(2, "alice"), entry(3, "alice")]);
    const alternating = decodeBatch(source, [entry(1, "a"), entry(2, "b"), entry(3, "a")]);
    // Then every entry has its own key, and nothing failed
    expect(same.keys).toEqual(["alice", "alice", "alice"]);
    expect(alternating.keys).toEqual(["a", "b", "a"]);
    expect(same.failure).toBeUndefined();
    expect(alternating.failure).toBeUndefined();
  });
});
