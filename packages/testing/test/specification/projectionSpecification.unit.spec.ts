import { AssertionError } from "node:assert";
import { defineEvents } from "@streamstore/core";
import {
  createRedisReadModelStore,
  defineProjection,
  type ReadModelStore,
} from "@streamstore/projections";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { onStream, projectionSpecification } from "../../src/index.js";

const events = defineEvents({
  Deposited: z.object({ amount: z.number() }),
  Withdrawn: z.object({ amount: z.number() }),
  Closed: z.object({ reason: z.string() }),
});

// Every handler is a counter: applying one event twice shows in the document. Only the runtime
// (checkpoint compare-and-set, skipping redelivered entries) keeps it exact.
const balances = defineProjection(events, {
  name: "balances",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: () => ({ balance: 0, events: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      draft.balance += event.data.amount;
      draft.events++;
    },
    Withdrawn: (draft, event) => {
      draft.balance -= event.data.amount;
      draft.events++;
    },
  },
});

const deposit = (streamName: string, amount: number) =>
  ({ streamName, type: "Deposited", data: { amount } }) as const;

async function failure(promise: Promise<unknown>): Promise<AssertionError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AssertionError);
  return error as AssertionError;
}

/**
 * A broken runtime: the store of the second runner hides its checkpoints until it commits, and commits
 * without the checkpoint compare-and-set, so that runner applies the re-read entries again.
 */
function forgetfulSecondStore() {
  let built = 0;
  return ({ redis, prefix, name }: Parameters<typeof createRedisReadModelStore>[0]) => {
    const inner = createRedisReadModelStore({ redis, prefix, name });
    if (++built === 1) return inner;
    // Until its first commit of a partition, the runner is told that partition starts at 0-0.
    const committed = new Set<string>();
    const store: ReadModelStore = {
      ...inner,
      async readCheckpoints(build) {
        const checkpoints = await inner.readCheckpoints(build);
        for (const field of [...checkpoints.keys()]) {
          if (!committed.has(field)) checkpoints.delete(field);
        }
        return checkpoints;
      },
      async commit(request) {
        const actual = (await inner.readCheckpoints(request.build)).get(request.partition);
        committed.add(request.partition);
        return inner.commit({ ...request, expectedPosition: actual?.position ?? "0-0" });
      },
    };
    return store;
  };
}

describe("projectionSpecification", () => {
  it("passes when the runner's read model equals the expectation, and reports the re-delivery", async () => {
    // Given
    const given = projectionSpecification(balances);
    // When
    const report = await given
      .givenEvents(
        deposit("account-1", 10),
        { streamName: "account-1", type: "Withdrawn", data: { amount: 3 } },
        deposit("account-2", 5),
      )
      .thenReadModel("account-1", { balance: 7, events: 2 });
    // Then: each of the 3 entries was delivered twice more (group reset, then a claim)
    expect(report.redeliveredEntries).toBe(6);
    expect(report.readModels).toEqual({
      "account-1": { balance: 7, events: 2 },
      "account-2": { balance: 5, events: 1 },
    });
  });

  it("checks several documents with thenReadModels, over several partitions", async () => {
    // Given
    const given = projectionSpecification(balances, { partitions: 3 });
    const accounts = Array.from({ length: 6 }, (_, index) => `account-${index}`);
    // When / Then
    const report = await given
      .givenEvents(accounts.map((account, index) => deposit(account, index + 1)))
      .thenReadModels(
        Object.fromEntries(
          accounts.map((account, index) => [account, { balance: index + 1, events: 1 }]),
        ),
      );
    expect(report.redeliveredEntries).toBe(12);
  });

  it("builds one stream's events with onStream and ignores events without a handler", async () => {
    await projectionSpecification(balances)
      .givenEvents(
        ...onStream(
          "account-9",
          { type: "Deposited", data: { amount: 4 } },
          { type: "Closed", data: { reason: "moved" } },
        ),
      )
      .thenReadModel("account-9", { balance: 4, events: 1 });
  });

  it("passes thenNoReadModel for a key no event touched, and with no events at all", async () => {
    const given = projectionSpecification(balances);
    await given.givenEvents(deposit("account-1", 1)).thenNoReadModel("account-2");
    await given.givenEvents().thenNoReadModel("account-1");
  });

  it("ignores events of categories the projection does not read", async () => {
    await projectionSpecification(balances)
      .givenEvents({ streamName: "loan-1", type: "Deposited", data: { amount: 1 } })
      .thenNoReadModel("loan-1");
  });

  it("fails with expected and actual when the document differs", async () => {
    // When
    const error = await failure(
      projectionSpecification(balances)
        .givenEvents(deposit("account-1", 10))
        .thenReadModel("account-1", { balance: 11, events: 1 }),
    );
    // Then
    expect(error.expected).toEqual({ balance: 11, events: 1 });
    expect(error.actual).toEqual({ balance: 10, events: 1 });
    expect(error.message).toContain('read model "account-1" of projection "balances"');
    expect(error.message).toMatch(
      /expected \{ balance: 11, events: 1 \}\nactual {3}\{ balance: 10/,
    );
  });

  it("fails when an expected document does not exist, and when an unexpected one does", async () => {
    const given = projectionSpecification(balances);
    const missing = await failure(
      given.givenEvents(deposit("account-1", 1)).thenReadModels({
        "account-1": { balance: 1, events: 1 },
        "account-2": { balance: 0, events: 0 },
      }),
    );
    expect(missing.actual).toEqual({
      "account-1": { balance: 1, events: 1 },
      "account-2": undefined,
    });
    const present = await failure(
      given.givenEvents(deposit("account-1", 1)).thenNoReadModel("account-1"),
    );
    expect(present.actual).toEqual({ balance: 1, events: 1 });
    expect(present.message).toContain('expected no read model "account-1"');
  });

  it("fails when the runtime applies re-delivered entries again (the re-delivery check is real)", async () => {
    // Given a runtime whose second runner has lost the checkpoint protection
    const given = projectionSpecification(balances, { readModel: forgetfulSecondStore() });
    // When the counter projection is specified with the right expectation
    const error = await failure(
      given
        .givenEvents(deposit("account-1", 10), deposit("account-1", 5))
        .thenReadModel("account-1", { balance: 15, events: 2 }),
    );
    // Then the first run passed and the re-delivery doubled the counters
    expect(error.message).toContain('changed read model "account-1"');
    expect(error.message).toContain("not exactly once");
    expect(error.expected).toEqual({ balance: 15, events: 2 });
    expect(error.actual).toEqual({ balance: 30, events: 4 });
  });

  it("reports a runner that fails (failure policy stop) instead of waiting forever", async () => {
    // Given a handler that always throws and a runner that stops on it
    const failing = defineProjection(events, {
      name: "failing",
      version: 1,
      source: ["account"],
      key: (event) => event.streamName,
      initialState: () => ({}),
      handlers: {
        Deposited: () => {
          throw new Error("boom");
        },
      },
    });
    const given = projectionSpecification(failing, {
      runner: { onHandlerFailure: "stop", maxDeliveries: 1 },
      timeoutMs: 3000,
    });
    // When / Then
    await expect(
      given.givenEvents(deposit("account-1", 1)).thenNoReadModel("account-1"),
    ).rejects.toThrow(/boom|handler/i);
  });
});
