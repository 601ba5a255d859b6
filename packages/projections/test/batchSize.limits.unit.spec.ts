import { defineEvents, isInvalidArgumentError, MAX_BATCH_SIZE } from "@streamstore/core";
import { createFakeRedis } from "@streamstore/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineProjection, defineReactor, startProjection, startReactor } from "../src/index.js";

// Issue 14: a batch is one read and one commit script (or XACK), whose arguments grow with it, so
// batchSize is capped like an append's maxBatchSize, and refused before anything runs.

const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });
const projection = defineProjection(events, {
  name: "balances",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: () => ({ balance: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      draft.balance += event.data.amount;
    },
  },
});
const reactor = defineReactor(events, {
  name: "mailer",
  source: ["account"],
  handlers: { Deposited: async () => {} },
});

function refusal(start: () => unknown): unknown {
  try {
    start();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("batchSize", () => {
  it.each([
    [
      "startProjection",
      (batchSize: number) => startProjection(projection, { redis: createFakeRedis(), batchSize }),
    ],
    [
      "startReactor",
      (batchSize: number) => startReactor(reactor, { redis: createFakeRedis(), batchSize }),
    ],
  ])("%s refuses a batchSize over MAX_BATCH_SIZE with a typed error", (_, start) => {
    // When started with one more than the cap
    const error = refusal(() => start(MAX_BATCH_SIZE + 1));

    // Then an InvalidArgumentError names batchSize and its range
    expect(isInvalidArgumentError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `batchSize: ${MAX_BATCH_SIZE + 1} must be an integer from 1 to ${MAX_BATCH_SIZE}`,
    );
  });
});
