import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  aggregateStream,
  type Decider,
  dataSubject,
  defineEvents,
  type EventOf,
  type Forgotten,
  getRedisEventStore,
  handleCommand,
  personal,
  silentLogger,
} from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createRedisReadModelStore,
  defineProjection,
  eraseSubject,
  type ProjectionRunner,
  startProjection,
} from "../src/index.js";

const events = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()),
    email: personal(z.string()),
    name: personal(z.string()),
  }),
  OrderPlaced: z.object({ customerId: z.string(), orderId: z.string(), total: z.number() }),
  // Its projection handler always throws: the event becomes a dead letter.
  NoteAdded: z.object({ customerId: dataSubject(z.string()), note: personal(z.string()) }),
});

type Customer = {
  email: string | Forgotten | null;
  name: string | Forgotten | null;
  orders: number;
};
const customers = defineProjection(events, {
  name: "customers",
  version: 1,
  source: ["customer"],
  key: (event) => event.data.customerId,
  initialState: (): Customer => ({ email: null, name: null, orders: 0 }),
  handlers: {
    CustomerRegistered: (draft, event) => {
      draft.email = event.data.email;
      draft.name = event.data.name;
    },
    OrderPlaced: (draft) => {
      draft.orders++;
    },
    NoteAdded: () => {
      throw new Error("notes are not projected");
    },
  },
  personalData: {
    keysOf: (subject) => [subject],
    erase: (draft) => {
      draft.email = null;
      draft.name = null;
    },
  },
});

type State = { email: string | Forgotten | undefined; orders: number };
const decider: Decider<
  State,
  { kind: "register"; id: string; email: string; name: string } | { kind: "order"; id: string },
  EventOf<typeof events>
> = {
  initialState: () => ({ email: undefined, orders: 0 }),
  decide: (command) =>
    command.kind === "register"
      ? [
          {
            type: "CustomerRegistered",
            data: { customerId: command.id, email: command.email, name: command.name },
          },
        ]
      : [
          {
            type: "OrderPlaced",
            data: { customerId: command.id, orderId: `o-${Math.random()}`, total: 10 },
          },
        ],
  evolve: (state, event) =>
    event.type === "CustomerRegistered"
      ? { ...state, email: event.data.email }
      : event.type === "OrderPlaced"
        ? { ...state, orders: state.orders + 1 }
        : state,
  snapshot: { every: 1, schemaVersion: 1 },
};

const ADA = ["ada@example.com", "Ada Lovelace", "ada's secret note"];
const BOB = ["bob@example.com", "Bob Babbage"];
const KEY_CACHE_TTL_MS = 1_000;

let primary: RedisServerHandle;
let replica: RedisServerHandle;
let redis: Redis;
let secondProcess: Redis;
let replicaClient: Redis;
const runners: ProjectionRunner<unknown>[] = [];

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Every value of every key, as bytes: what a grep of the dataset sees.
async function datasetOf(client: Redis): Promise<string> {
  const parts: string[] = [];
  for (const key of await client.keys("*")) {
    parts.push(key);
    const type = await client.type(key);
    if (type === "stream") parts.push(JSON.stringify(await client.xrange(key, "-", "+")));
    else if (type === "hash") parts.push(JSON.stringify(await client.hgetall(key)));
    else if (type === "string") parts.push((await client.getBuffer(key))?.toString("latin1") ?? "");
    else parts.push(`(${type})`);
  }
  return parts.join("\n");
}

async function filesUnder(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      parts.push((await readFile(join(entry.parentPath, entry.name))).toString("latin1"));
  }
  return parts.join("\n");
}

beforeAll(async () => {
  // Uncompressed RDB (and AOF base) files: LZF would hide plaintext from the grep.
  const args = [
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--rdbcompression",
    "no",
    "--aof-use-rdb-preamble",
    "no",
  ];
  primary = await startRedisServer({ args });
  replica = await startRedisServer({
    args: [...args, "--replicaof", "127.0.0.1", String(primary.port)],
  });
  redis = new Redis(primary.url);
  secondProcess = new Redis(primary.url);
  replicaClient = new Redis(replica.url);
  await until(
    async () => /master_link_status:up/.test(await replicaClient.info("replication")),
    10_000,
  );
});

afterAll(async () => {
  for (const runner of runners) await runner.stop().catch(() => {});
  redis?.disconnect();
  secondProcess?.disconnect();
  replicaClient?.disconnect();
  await replica?.stop();
  await primary?.stop();
});

describe("forgetSubject", () => {
  it("leaves a subject's email and name nowhere in plaintext: AOF, RDB, replica, keys, snapshots, dead letters, read model; others intact; a warm second process stops within the key cache TTL", async () => {
    // Given two customers with orders (snapshots every event), a projection copying their
    // personal fields, a dead letter holding one of Ada's events, and a second process that read Ada
    const store = getRedisEventStore({
      redis,
      events,
      logger: silentLogger,
      personalData: { keyCacheTtlMs: KEY_CACHE_TTL_MS },
    });
    await handleCommand(store, "customer-c-1", decider, {
      kind: "register",
      id: "c-1",
      email: ADA[0] as string,
      name: ADA[1] as string,
    });
    await handleCommand(store, "customer-c-1", decider, { kind: "order", id: "c-1" });
    await handleCommand(store, "customer-c-2", decider, {
      kind: "register",
      id: "c-2",
      email: BOB[0] as string,
      name: BOB[1] as string,
    });
    await handleCommand(store, "customer-c-2", decider, { kind: "order", id: "c-2" });
    await store.append("customer-c-1", [
      { type: "NoteAdded", data: { customerId: "c-1", note: ADA[2] as string } },
    ]);
    const runner = startProjection(customers, {
      redis,
      store,
      logger: silentLogger,
      maxDeliveries: 1,
      retryBackoffMs: 5,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    expect(await runner.get("c-1")).toEqual({ email: ADA[0], name: ADA[1], orders: 1 });
    const letters = await runner.deadLetters.list();
    expect(letters.map((letter) => letter.type)).toEqual(["NoteAdded"]);
    const other = getRedisEventStore({
      redis: secondProcess,
      events,
      logger: silentLogger,
      personalData: { keyCacheTtlMs: KEY_CACHE_TTL_MS },
    });
    const emailSeenBy = async (reader: typeof store) => {
      for await (const event of reader.read("customer-c-1")) {
        if (event.type === "CustomerRegistered") return event.data.email;
      }
      return undefined;
    };
    expect(await emailSeenBy(other)).toBe(ADA[0]);
    // The grep finds plaintext where the read model holds it (the AOF logged the document).
    expect(await filesUnder(primary.dir)).toContain(ADA[0]);

    // When Ada is forgotten, and the read model's owner runs the erase hook
    const storedKey = (await redis.get("ss:{pd:c-1}:key")) as string;
    expect(storedKey).toMatch(/^k1:/);
    const forgottenAt = Date.now();
    await store.forgetSubject("c-1", { by: "test", reason: "erasure request" });
    // Then the second process, its key cache warm, stops decrypting within the TTL
    await until(async () => (await emailSeenBy(other)) !== ADA[0], KEY_CACHE_TTL_MS + 2_000);
    const stoppedAfter = Date.now() - forgottenAt;
    console.info(
      `[erasure] a second process with a warm key cache stopped decrypting ${stoppedAfter} ms after the forget (key cache TTL ${KEY_CACHE_TTL_MS} ms)`,
    );
    expect(stoppedAfter).toBeLessThanOrEqual(KEY_CACHE_TTL_MS + 500);
    expect(await emailSeenBy(other)).toEqual({ forgotten: true });
    expect(
      await eraseSubject(customers, {
        readModel: createRedisReadModelStore({ redis, prefix: "ss", name: "customers" }),
        subject: "c-1",
      }),
    ).toBe(1);
    // The snapshot is discarded on the next load, the state replayed with the fields forgotten.
    const loaded = await aggregateStream(store, "customer-c-1", decider);
    expect(loaded).toMatchObject({
      fromSnapshot: false,
      state: { email: { forgotten: true }, orders: 1 },
    });
    // The AOF still logs the read model's old documents (and the destroyed key) until it is
    // rewritten: docs/personal-data.md says to run BGREWRITEAOF after a forget.
    expect(await filesUnder(primary.dir)).toContain(ADA[0]);
    // BGREWRITEAOF returns once the rewrite runs or is scheduled: both at 0 means it is done.
    // Replicas keep AOF files of their own: rewritten too.
    expect(Number(await redis.call("WAIT", 1, 5_000))).toBe(1);
    for (const client of [redis, replicaClient]) {
      await client.bgrewriteaof();
      await until(async () => {
        const info = await client.info("persistence");
        return (
          /aof_rewrite_in_progress:0\b/.test(info) &&
          /aof_rewrite_scheduled:0\b/.test(info) &&
          /aof_last_bgrewrite_status:ok/.test(info)
        );
      }, 20_000);
    }
    await redis.save();
    expect(Number(await redis.call("WAIT", 1, 5_000))).toBe(1);

    // Then no copy holds Ada's personal data in plaintext
    const copies = {
      "AOF and RDB files": await filesUnder(primary.dir),
      "the replica's AOF files": await filesUnder(replica.dir),
      "every key of the primary": await datasetOf(redis),
      "the replica's dataset": await datasetOf(replicaClient),
      "dead letters": JSON.stringify(await runner.deadLetters.list()),
      "snapshot of customer-c-1": JSON.stringify(
        await redis.hgetall((await store.locate("customer-c-1")).snapshotKey),
      ),
      "read model": JSON.stringify(await runner.get("c-1")),
    };
    expect(Object.keys(copies).length).toBe(7);
    for (const [where, content] of Object.entries(copies)) {
      for (const secret of ADA)
        expect(content.includes(secret), `${secret} in ${where}`).toBe(false);
    }
    expect(await runner.get("c-1")).toEqual({ email: null, name: null, orders: 1 });
    // And Bob reads back intact, from the stream, the snapshot and the read model
    const bobEvents = [];
    for await (const event of store.read("customer-c-2")) bobEvents.push(event.data);
    expect(bobEvents[0]).toEqual({ customerId: "c-2", email: BOB[0], name: BOB[1] });
    expect(await aggregateStream(store, "customer-c-2", decider)).toMatchObject({
      fromSnapshot: true,
      state: { email: BOB[0], orders: 1 },
    });
    expect(await runner.get("c-2")).toEqual({ email: BOB[0], name: BOB[1], orders: 1 });
    // (A dead letter keeps the log entry as stored: the note in it was never plaintext.)
    expect(letters[0]?.entry).toContain("ss:pd1:c-1:");
  }, 60_000);
});
