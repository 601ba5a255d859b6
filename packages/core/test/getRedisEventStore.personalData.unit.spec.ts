import {
  aggregateStream,
  type Decider,
  dataSubject,
  defineEvents,
  type EventOf,
  type Forgotten,
  getRedisEventStore,
  handleCommand,
  isCorruptEventError,
  isForgotten,
  isInvalidDataSubjectError,
  isInvalidEventError,
  isMissingDataSubjectError,
  isSubjectForgottenError,
  personal,
  personalDataAuditKey,
} from "@streamstore/core";
import { dataKeyKey } from "@streamstore/core/internal";
import { createFakeRedis, createInMemoryArchive } from "@streamstore/testing";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { archivedEntryOf, trimArchived } from "../src/internal.js";

const events = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()),
    email: personal(z.string().email()),
    name: personal(z.string()),
  }),
  // No subject field: the subject comes from metadata.dataSubject.
  AddressChanged: z.object({ street: personal(z.string()), city: z.string() }),
  OrderPlaced: z.object({ orderId: z.string(), total: z.number() }),
});

const open = () => {
  const redis = createFakeRedis();
  const store = getRedisEventStore({ redis, events, serverCheck: "off", prefix: "pd" });
  return { redis, store };
};

const ada = { customerId: "c-1", email: "ada@example.com", name: "Ada Lovelace" };
const bob = { customerId: "c-2", email: "bob@example.com", name: "Bob Babbage" };

async function dump(redis: ReturnType<typeof createFakeRedis>): Promise<string> {
  const keys = await redis.keys("pd:*");
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === "stream") parts.push(JSON.stringify(await redis.xrange(key, "-", "+")));
    else if (type === "hash") parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === "string") parts.push((await redis.getBuffer(key))?.toString("latin1") ?? "");
  }
  return parts.join("\n");
}

describe("getRedisEventStore with personal data", () => {
  it("types personal fields as T | Forgotten on read and T on append", () => {
    type Registered = Extract<EventOf<typeof events>, { type: "CustomerRegistered" }>;
    expectTypeOf<Registered["data"]["email"]>().toEqualTypeOf<string | Forgotten>();
    expectTypeOf<Registered["data"]["customerId"]>().toEqualTypeOf<string>();
  });

  it("stores personal fields encrypted, reads them back, and after forgetSubject reads them as forgotten while others stay intact", async () => {
    // Given two customers registered
    const { redis, store } = open();
    await store.append("customer-c-1", [{ type: "CustomerRegistered", data: ada }]);
    await store.append("customer-c-2", [{ type: "CustomerRegistered", data: bob }]);
    await store.append(
      "customer-c-1",
      [{ type: "AddressChanged", data: { street: "1 Main St", city: "London" } }],
      {
        metadata: { dataSubject: "c-1" },
      },
    );
    // Then nothing under the prefix holds their plaintext, and reads decrypt
    expect(await dump(redis)).not.toMatch(/ada@example|Lovelace|1 Main St|bob@example/);
    const before = [];
    for await (const event of store.read("customer-c-1")) before.push(event);
    expect(before.map((event) => event.data)).toEqual([
      ada,
      { street: "1 Main St", city: "London" },
    ]);
    expect(before[0]?.dataSubjects).toEqual(["c-1"]);
    // When c-1 is forgotten
    await store.forgetSubject("c-1", { by: "dpo", reason: "request 118" });
    // Then its personal fields read as forgotten, the rest as it was; c-2 is intact
    const after = [];
    for await (const event of store.read("customer-c-1")) after.push(event);
    expect(after.map((event) => event.data)).toEqual([
      { customerId: "c-1", email: { forgotten: true }, name: { forgotten: true } },
      { street: { forgotten: true }, city: "London" },
    ]);
    const first = after[0];
    if (first?.type !== "CustomerRegistered") throw new Error("expected the registration first");
    expect(isForgotten(first.data.email)).toBe(true);
    const other = [];
    for await (const event of store.read("customer-c-2")) other.push(event.data);
    expect(other).toEqual([bob]);
    // And the key is a tombstone, the audit entry names subject and time only
    expect(await redis.get(dataKeyKey("pd", "c-1"))).toMatch(/^x1:/);
    const audit = await redis.xrange(personalDataAuditKey("pd"), "-", "+");
    expect(audit).toHaveLength(1);
    expect(audit[0]?.[1]).toEqual(expect.arrayContaining(["subject", "c-1", "by", "dpo"]));
  });

  it("decrypts personal fields in category reads as read() does, and reads them as forgotten once the subject is", async () => {
    // Given two customers registered
    const { store } = open();
    await store.append("customer-c-1", [{ type: "CustomerRegistered", data: ada }]);
    await store.append("customer-c-2", [{ type: "CustomerRegistered", data: bob }]);
    // When the category is read, as a page and iterated
    const page = await store.readCategory("customer");
    const iterated = [];
    for await (const event of store.iterateCategory("customer")) iterated.push(event.data);
    // Then the fields are decrypted, with their subjects
    expect(page.events.map((event) => event.data)).toEqual([ada, bob]);
    expect(page.events.map((event) => event.dataSubjects)).toEqual([["c-1"], ["c-2"]]);
    expect(iterated).toEqual([ada, bob]);
    // And once c-1 is forgotten, its fields read as forgotten, c-2's as they were
    await store.forgetSubject("c-1");
    const after = await store.readCategory("customer", { direction: "backward" });
    expect(after.events.map((event) => event.data)).toEqual([
      bob,
      { customerId: "c-1", email: { forgotten: true }, name: { forgotten: true } },
    ]);
  });

  it("keeps appends idempotent: a retried event with the same id stores nothing new", async () => {
    // Given an append with a fixed id
    const { store } = open();
    const batch = [{ id: "evt-1", type: "CustomerRegistered" as const, data: ada }];
    await store.append("customer-c-1", batch, { expectedVersion: "no_stream" });
    // When it is retried (its reply lost)
    const retry = await store.append("customer-c-1", batch, { expectedVersion: "no_stream" });
    // Then it is a duplicate, not a conflict
    expect(retry.duplicate).toBe(true);
  });

  it("refuses with typed errors, writing nothing: no subject, an empty or too long or odd subject, a forgotten subject, a forgotten marker", async () => {
    // Given a store, one subject forgotten
    const { redis, store } = open();
    await store.append("order-o-1", [{ type: "OrderPlaced", data: { orderId: "o-1", total: 5 } }]);
    await store.forgetSubject("c-9");
    const keysBefore = (await redis.keys("pd:*")).sort();
    const contentBefore = await dump(redis);
    const attempt = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );
    // When appending personal data without a subject, with bad subjects, for the forgotten one
    const noSubject = await attempt(
      store.append("customer-c-1", [{ type: "AddressChanged", data: { street: "x", city: "y" } }]),
    );
    const bad = [];
    for (const customerId of ["", "x".repeat(129), "a{b}", "c:1"]) {
      bad.push(
        await attempt(
          store.append("customer-c-1", [
            { type: "CustomerRegistered", data: { ...ada, customerId } },
          ]),
        ),
      );
    }
    const forgotten = await attempt(
      store.append("customer-c-9", [
        { type: "CustomerRegistered", data: { ...ada, customerId: "c-9" } },
      ]),
    );
    const keysAfter = (await redis.keys("pd:*")).sort();
    const contentAfter = await dump(redis);
    const marker = await attempt(
      store.append("customer-c-1", [
        { type: "CustomerRegistered", data: { ...ada, email: { forgotten: true } as never } },
      ]),
    );
    // Then each is its typed error, with a message that says what to do, and nothing was written
    expect(isMissingDataSubjectError(noSubject)).toBe(true);
    expect((noSubject as Error).message).toMatch(
      /^\[streamstore\] .*metadata\.dataSubject.*"Personal data" in the @streamstore\/core README/,
    );
    for (const error of bad) expect(isInvalidDataSubjectError(error), String(error)).toBe(true);
    expect((bad[0] as Error).message).toMatch(/it is empty/);
    expect((bad[1] as Error).message).toMatch(/over 128/);
    expect(isSubjectForgottenError(forgotten)).toBe(true);
    expect(isInvalidEventError(marker)).toBe(true);
    expect(keysAfter).toEqual(keysBefore);
    expect(contentAfter).toBe(contentBefore);
    // (The marker's batch had a valid subject: its key, which holds no data, was made first.)
    expect(await store.version("customer-c-1")).toBe(0);
    expect(await store.version("customer-c-9")).toBe(0);
  });

  it("seals snapshots of personal state under the subject's key and discards them once it is forgotten", async () => {
    // Given a decider with a snapshot every event, and a customer registered through it
    const { redis, store } = open();
    type State = { email: string | Forgotten | undefined; orders: number };
    const decider: Decider<
      State,
      { kind: "register" } | { kind: "order" },
      EventOf<typeof events>
    > = {
      initialState: () => ({ email: undefined, orders: 0 }),
      decide: (command) =>
        command.kind === "register"
          ? [{ type: "CustomerRegistered", data: ada }]
          : [{ type: "OrderPlaced", data: { orderId: "o-1", total: 5 } }],
      evolve: (state, event) =>
        event.type === "CustomerRegistered"
          ? { ...state, email: event.data.email }
          : event.type === "OrderPlaced"
            ? { ...state, orders: state.orders + 1 }
            : state,
      snapshot: { every: 1, schemaVersion: 1 },
    };
    await handleCommand(store, "customer-c-1", decider, { kind: "register" });
    await handleCommand(store, "customer-c-1", decider, { kind: "order" });
    const snapshotKey = (await store.locate("customer-c-1")).snapshotKey;
    // Then the stored snapshot holds no plaintext, and loads from it
    expect(JSON.stringify(await redis.hgetall(snapshotKey))).not.toContain("ada@");
    const loaded = await aggregateStream(store, "customer-c-1", decider);
    expect(loaded).toMatchObject({
      fromSnapshot: true,
      state: { email: "ada@example.com", orders: 1 },
    });
    // When the customer is forgotten
    await store.forgetSubject("c-1");
    // Then the snapshot is discarded and the state replays with the email forgotten
    const replayed = await aggregateStream(store, "customer-c-1", decider);
    expect(replayed).toMatchObject({
      fromSnapshot: false,
      state: { email: { forgotten: true }, orders: 1 },
    });
    expect(await redis.exists(snapshotKey)).toBe(0);
  });

  it("redacts archived events the same way: the archive holds only the envelope", async () => {
    // Given a customer's events archived (copied to the archive, trimmed from Redis)
    const redis = createFakeRedis();
    const archive = createInMemoryArchive();
    const store = getRedisEventStore({ redis, events, serverCheck: "off", prefix: "pa", archive });
    await store.append("customer-c-1", [{ type: "CustomerRegistered", data: ada }]);
    await store.append("customer-c-1", [
      { type: "OrderPlaced", data: { orderId: "o-1", total: 5 } },
    ]);
    await redis.set(store.keys.archiver("customer", 0), "token");
    const entries = (await redis.xrange(store.keys.log("customer", 0), "-", "+")) as [
      string,
      string[],
    ][];
    await archive.write(entries.map((entry) => archivedEntryOf("customer", 0, entry)));
    const trimmed = await trimArchived(redis, store.keys, {
      category: "customer",
      partition: 0,
      token: "token",
      through: (entries.at(-1) as [string, string[]])[0],
      aggregates: [{ id: "c-1", version: 2, position: (entries.at(-1) as [string, string[]])[0] }],
    });
    expect(trimmed).toMatchObject({ outcome: "trimmed", trimmed: 2 });
    expect(
      JSON.stringify(
        await archive.readStream("customer-c-1", {
          direction: "forward",
          from: 1,
          to: 2,
          limit: 10,
        }),
      ),
    ).not.toContain("ada@");
    const read = async () => {
      const data = [];
      for await (const event of store.read("customer-c-1")) data.push(event.data);
      return data;
    };
    // Then they read back decrypted through the archive, and redacted after the forget
    expect((await read())[0]).toEqual(ada);
    await store.forgetSubject("c-1");
    expect(await read()).toEqual([
      { customerId: "c-1", email: { forgotten: true }, name: { forgotten: true } },
      { orderId: "o-1", total: 5 },
    ]);
  });

  it("reports an envelope copied into another event as a corrupt entry, not as forgotten", async () => {
    // Given two registrations, and the second's log entry given the first's envelope by hand
    const { redis, store } = open();
    await store.append("customer-c-1", [{ type: "CustomerRegistered", data: ada }]);
    await store.append("customer-c-3", [
      { type: "CustomerRegistered", data: { ...ada, customerId: "c-3" } },
    ]);
    const logKey = store.keys.log("customer", 0);
    const [first, second] = (await redis.xrange(logKey, "-", "+")) as [string, string[]][] as [
      [string, string[]],
      [string, string[]],
    ];
    const envelope = JSON.parse(first[1][first[1].indexOf("d") + 1] as string).$personal;
    const fields = [...second[1]];
    const d = fields.indexOf("d") + 1;
    fields[d] = JSON.stringify({
      ...JSON.parse(fields[d] as string),
      $personal: envelope.replace("c-1", "c-3"),
    });
    await redis.del(logKey);
    await redis.xadd(logKey, first[0], ...first[1]);
    await redis.xadd(logKey, second[0], ...fields);
    // When reading the second stream
    const error = await (async () => {
      for await (const _event of store.read("customer-c-3")) {
      }
    })().catch((caught: unknown) => caught);
    // Then it is a CorruptEventError
    expect(isCorruptEventError(error)).toBe(true);
    expect((error as Error).message).toMatch(/cannot be decrypted/);
  });
});
