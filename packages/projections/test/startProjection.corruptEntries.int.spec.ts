import { silentLogger } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { defineProjection, type ProjectionRunner, startProjection } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { bankEvents } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

// Issue 8: log entries written by hand or by older code, one kind of garbage each, between good
// events. The runner must dead-letter each at once (reason "corrupt") and go on: every good event
// applied once, no crash loop, no lag left.

const GOOD = { i: "evt", t: "Deposited", d: '{"amount":1}', a: "1", v: "1" };

/** Each kind of garbage: the fields of a hand-written log entry. */
const garbage: [name: string, fields: Record<string, string | undefined>][] = [
  ["no aggregate id", { a: undefined }],
  ["no version", { v: undefined }],
  ["version 0", { v: "0" }],
  ["a version that is not a number", { v: "seven" }],
  ["no event id", { i: undefined }],
  ["no type", { t: undefined }],
  ["no data", { d: undefined }],
  ["data that is not JSON", { d: "{not json" }],
  ["data failing the schema", { d: '{"amount":"lots"}' }],
  ["an unknown type", { t: "Teleported" }],
  ["a type like a prototype key", { t: "__proto__" }],
  ["metadata that is not an object", { m: "[]" }],
  ["a schema version from newer code", { s: "2" }],
  [
    "only a __proto__ field",
    { i: undefined, t: undefined, d: undefined, a: undefined, v: undefined, __proto__x: "1" },
  ],
];

const sum = (name: string) =>
  defineProjection(bankEvents, {
    name,
    version: 1,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: () => ({ total: 0, events: 0 }),
    handlers: {
      Deposited: (draft, event) => {
        draft.total += event.data.amount;
        draft.events++;
      },
    },
  });

describe.each(testBackends())("startProjection with corrupt log entries on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners } = keyspace;

  it("dead-letters every kind of corrupt log entry at once and applies every good event around them", async () => {
    // Given good events with a hand-written corrupt entry of each kind after each of them
    const { redis } = keyspace;
    const store = keyspace.store();
    const logKey = store.keys.log("account", 0);
    const planted: string[] = [];
    let expectedTotal = 0;
    for (const [index, [, change]] of garbage.entries()) {
      const amount = index + 1;
      expectedTotal += amount;
      await store.append(`account-${index % 3}`, [{ type: "Deposited", data: { amount } }]);
      const fields = Object.entries({ ...GOOD, ...change }).flatMap(([name, value]) =>
        value === undefined ? [] : [name === "__proto__x" ? "__proto__" : name, value],
      );
      planted.push((await redis.xadd(logKey, "*", ...fields)) as string);
    }
    await store.append("account-0", [{ type: "Deposited", data: { amount: 1000 } }]);
    expectedTotal += 1000;

    // When a runner processes the log
    const runner = startProjection(sum("corrupt-sum"), {
      redis,
      store,
      maxDeliveries: 3,
      retryBackoffMs: 5,
      logger: silentLogger,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

    // Then each corrupt entry is one dead letter ("corrupt", one attempt), in log order
    const letters = await runner.deadLetters.list({ count: 1000 });
    expect(letters.map((letter) => [letter.entryId, letter.reason, letter.attempts])).toEqual(
      planted.map((entryId) => [entryId, "corrupt", 1]),
    );
    for (const letter of letters) expect(letter.error).toMatch(/is not a valid event/);
    // And every good event is applied exactly once, with no lag left
    const states = await Promise.all([0, 1, 2].map((id) => runner.get(`account-${id}`)));
    const total = states.reduce((acc, state) => acc + ((state as { total: number }).total ?? 0), 0);
    const applied = states.reduce(
      (acc, state) => acc + ((state as { events: number }).events ?? 0),
      0,
    );
    expect(total).toBe(expectedTotal);
    expect(applied).toBe(garbage.length + 1);
    const status = await runner.status();
    expect(status.deadLetters).toBe(garbage.length);
    expect(status.partitions[0]?.lag).toBe(0);
    expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
  });
});
