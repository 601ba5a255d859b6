import { randomBytes } from "node:crypto";
import { deleteKeys, dumpKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  defineEvents,
  type EventStore,
  getRedisEventStore,
  isLegacyLayoutError,
  type LegacyLayoutError,
  silentLogger,
} from "../src/index.js";

// Issue 12, storage layout 2: a prefix written by the stream-per-aggregate layout (categories
// registered, no `<prefix>:layout`), or one that says another layout, is refused by every call
// before anything is read or written; a fresh prefix records layout "2" at its first append.

const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
});

function newPrefix(): string {
  const prefix = `legacy-${randomBytes(6).toString("hex")}`;
  prefixes.push(prefix);
  return prefix;
}

/** A store on a client of its own, with the server check on, as an application would have it. */
function storeOn(prefix: string): { store: EventStore<typeof events>; client: Redis } {
  const client = new Redis(inject("redisUrl"));
  return {
    client,
    store: getRedisEventStore({ redis: client, events, prefix, logger: silentLogger }),
  };
}

/** Every key under the prefix with its type, TTL and full contents, byte for byte. */
const dumpPrefix = (prefix: string) => dumpKeys(redis, `${prefix}:*`, { ttl: true });

async function refusalOf(call: () => Promise<unknown>): Promise<LegacyLayoutError> {
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isLegacyLayoutError(error))
    throw new Error(`expected a LegacyLayoutError, got ${String(error)}`);
  return error;
}

/** Every call of the store, each as its first call (a store of its own) and then all in a row. */
const calls: [string, (store: EventStore<typeof events>) => Promise<unknown>][] = [
  ["append", (store) => store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }])],
  [
    "append to a new category",
    (store) => store.append("loan-1", [{ type: "Deposited", data: { amount: 1 } }]),
  ],
  [
    "append at an exact version",
    (store) =>
      store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }], {
        expectedVersion: 1,
      }),
  ],
  [
    "read",
    async (store) => {
      for await (const _event of store.read("account-1"));
    },
  ],
  ["version", (store) => store.version("account-1")],
  ["exists", (store) => store.exists("account-1")],
  ["partitionsOf", (store) => store.partitionsOf("account")],
  ["locate", (store) => store.locate("account-1")],
  ["readSnapshot", (store) => store.readSnapshot("account-1")],
  [
    "writeSnapshot",
    (store) =>
      store.writeSnapshot("account-1", { version: 1, eventId: "x", schemaVersion: 1, state: {} }),
  ],
];

/** Runs every call on fresh stores and on one store, expecting each refused; returns the errors. */
async function expectEveryCallRefused(prefix: string): Promise<LegacyLayoutError[]> {
  const errors: LegacyLayoutError[] = [];
  for (const [name, call] of calls) {
    const { store, client } = storeOn(prefix);
    try {
      const error = await refusalOf(() => call(store));
      expect([name, error.code, error.prefix]).toEqual([name, "LEGACY_LAYOUT", prefix]);
      expect(error.message).toMatch(/Nothing was read or written/);
      errors.push(error);
    } finally {
      client.disconnect();
    }
  }
  const { store, client } = storeOn(prefix);
  try {
    // A refused store stays refused: a second round on the same store, in another order
    for (const [name, call] of [...calls].reverse()) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await refusalOf(() => call(store));
        expect([name, attempt, error.code]).toEqual([name, attempt, "LEGACY_LAYOUT"]);
      }
    }
  } finally {
    client.disconnect();
  }
  return errors;
}

describe("getRedisEventStore", () => {
  it("refuses every call on a prefix written by the stream-per-aggregate layout, writing nothing", async () => {
    // Given a prefix as the old layout left it: the categories registry, an aggregate stream
    // with its entry, and that entry in the category log; no layout key
    const prefix = newPrefix();
    await redis.hset(`${prefix}:categories`, "account", "1");
    const position = (await redis.xadd(
      `${prefix}:{account:0}:log`,
      "*",
      "i",
      "evt-1",
      "t",
      "Deposited",
      "d",
      '{"amount":1}',
      "a",
      "1",
      "v",
      "1",
    )) as string;
    await redis.xadd(
      `${prefix}:{account:0}:s:1`,
      "1-0",
      "i",
      "evt-1",
      "t",
      "Deposited",
      "d",
      '{"amount":1}',
      "p",
      position,
    );
    const before = await dumpPrefix(prefix);
    expect(Object.keys(before)).toHaveLength(3);
    // When every call of the store is made, Then each is refused with a LegacyLayoutError
    const [first] = await expectEveryCallRefused(prefix);
    expect(first?.found).toBe(
      `${prefix}:categories exists without ${prefix}:layout: a Redis stream per aggregate`,
    );
    // And nothing under the prefix was written, not even the layout key
    expect(await dumpPrefix(prefix)).toEqual(before);
    expect(await redis.exists(`${prefix}:layout`)).toBe(0);
  });

  it("refuses every call on a prefix whose layout key names another layout, writing nothing", async () => {
    // Given prefixes that say layout "3" (written by newer code), "1" and "" (by hand)
    for (const layout of ["3", "1", ""]) {
      const prefix = newPrefix();
      await redis.set(`${prefix}:layout`, layout);
      const before = await dumpPrefix(prefix);
      // When every call is made, Then each is refused naming the layout found
      const [first] = await expectEveryCallRefused(prefix);
      expect([layout, first?.found]).toEqual([
        layout,
        `${prefix}:layout says layout ${JSON.stringify(layout)}, this code reads layout 2`,
      ]);
      // And nothing was written: no categories registry, no index, no log
      expect([layout, await dumpPrefix(prefix)]).toEqual([layout, before]);
    }
  });

  it("records layout 2 at the first append of a fresh prefix, and not before", async () => {
    // Given a fresh prefix
    const prefix = newPrefix();
    const { store, client } = storeOn(prefix);
    try {
      // When it is only read, Then nothing is written (reads of an empty prefix stay empty)
      expect(await store.version("account-1")).toBe(0);
      expect(await store.exists("account-1")).toBe(false);
      expect(await store.partitionsOf("account")).toBe(1);
      for await (const _event of store.read("account-1")) expect.unreachable();
      expect(await store.readSnapshot("account-1")).toBeUndefined();
      expect(await dumpPrefix(prefix)).toEqual({});
      // When it is appended to, Then the layout key says 2, with no expiry, beside the categories
      await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
      expect(await redis.get(`${prefix}:layout`)).toBe("2");
      expect(await redis.pttl(`${prefix}:layout`)).toBe(-1);
      expect(await redis.hgetall(`${prefix}:categories`)).toEqual({ account: "1" });
      // And another store on the prefix accepts it and reads what the first wrote
      const other = storeOn(prefix);
      try {
        expect(await other.store.version("account-1")).toBe(1);
        await other.store.append("account-1", [{ type: "Deposited", data: { amount: 2 } }], {
          expectedVersion: 1,
        });
      } finally {
        other.client.disconnect();
      }
      const amounts: number[] = [];
      for await (const event of store.read("account-1")) amounts.push(event.data.amount);
      expect(amounts).toEqual([1, 2]);
      expect(await redis.get(`${prefix}:layout`)).toBe("2");
    } finally {
      client.disconnect();
    }
  });

  it("lets stores racing to the first appends of a fresh prefix all succeed", async () => {
    // Given 10 fresh prefixes, each with 32 stores on connections of their own (as 32 processes)
    for (let round = 0; round < 10; round++) {
      const prefix = newPrefix();
      const stores = Array.from({ length: 32 }, () => storeOn(prefix));
      try {
        await Promise.all(stores.map(({ client }) => client.ping()));
        // When they all append at once, each to a stream of its own in one category
        const results = await Promise.allSettled(
          stores.map(({ store }, index) =>
            store.append(`account-${index}`, [{ type: "Deposited", data: { amount: index } }], {
              expectedVersion: "no_stream",
            }),
          ),
        );
        // Then none is refused (a check that read the layout key before the categories saw a
        // concurrent first append's category without its layout key, and called it legacy)
        expect(results.filter((result) => result.status === "rejected")).toEqual([]);
        expect(await redis.get(`${prefix}:layout`)).toBe("2");
        expect(await redis.xlen(`${prefix}:{account:0}:log`)).toBe(32);
      } finally {
        for (const { client } of stores) client.disconnect();
      }
    }
  });
});
