import { randomBytes } from "node:crypto";
import {
  aclRuleFor,
  defineEvents,
  type EventCatalog,
  getRedisEventStore,
  silentLogger,
} from "@streamstore/core";
import {
  defineProjection,
  defineReactor,
  startProjection,
  startReactor,
} from "@streamstore/projections";
import {
  type ContractStoreOptions,
  deleteKeys,
  type EventStoreContractContext,
  indexRecord,
  testEventStore,
} from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startRedisServer } from "../../src/redisServer/startRedisServer.js";

// Issue 8, security: a Redis ACL user made from aclRuleFor(prefix) runs the whole event-store
// contract, a projection and a reactor under its prefix, and cannot read or write any other
// prefix's keys, through the toolkit or with raw commands. On a private redis-server of its own,
// whose INFO commandstats then shows which allowed commands were used.

const TENANT = "acl";
const USER = "streamstore-tenant";
const PASSWORD = randomBytes(12).toString("hex");

const server = await startRedisServer();
const admin = new Redis(server.url);
await admin.call("ACL", "SETUSER", USER, "on", `>${PASSWORD}`, ...aclRuleFor(TENANT));
// Another tenant's data, written by the admin as its store would (layout marker, categories,
// an event in the category log, the aggregate's index pointing at it): the limited user must
// never get at it.
const VICTIM_LOG = "victim:{account:0}:log";
const VICTIM_INDEX = "victim:{account:0}:i:1";
const VICTIM_KEYS = ["victim:layout", "victim:categories", VICTIM_LOG, VICTIM_INDEX];
await admin.set("victim:layout", "2");
await admin.hset("victim:categories", "account", "1");
const victimPosition = (await admin.xadd(
  VICTIM_LOG,
  "*",
  "i",
  "secret",
  "t",
  "Deposited",
  "d",
  '{"amount":1}',
  "a",
  "1",
  "v",
  "1",
)) as string;
const victimIndex = indexRecord(victimPosition);
await admin.set(VICTIM_INDEX, victimIndex);
await admin.set("victim:plain", "secret");

const connectAsTenant = () =>
  new Redis({
    port: server.port,
    host: "127.0.0.1",
    username: USER,
    password: PASSWORD,
    maxRetriesPerRequest: null,
  });

afterAll(async () => {
  const stats = (await admin.info("commandstats")) as string;
  const used = new Set(
    [...stats.matchAll(/^cmdstat_([a-z_|]+):calls=(\d+)/gm)].map((match) => match[1]),
  );
  const unused = aclRuleFor(TENANT)
    .filter((rule) => rule.startsWith("+"))
    .map((rule) => rule.slice(1))
    .filter((command) => !used.has(command));
  console.info(`[acl] allowed commands never sent in this run: ${unused.join(", ") || "none"}`);
  await admin.quit();
  await server.stop();
});

/** A contract context whose every prefix lies under the tenant's (`acl:<random>`). */
function tenantContext(): EventStoreContractContext<Redis> {
  const redis = connectAsTenant();
  const prefixes: string[] = [];
  const newPrefix = () => {
    const prefix = `${TENANT}:${randomBytes(5).toString("hex")}`;
    prefixes.push(prefix);
    return prefix;
  };
  return {
    redis,
    newPrefix,
    createStore<Catalog extends EventCatalog>(
      events: Catalog,
      options: ContractStoreOptions<Catalog> = {},
    ) {
      return getRedisEventStore({
        redis,
        events,
        logger: silentLogger,
        ...options,
        prefix: options.prefix ?? newPrefix(),
      });
    },
    async close() {
      for (const prefix of prefixes) await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    },
  };
}

testEventStore("Redis ACL user limited by aclRuleFor", async () => tenantContext());

const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error("expected a refusal, the call succeeded");
  return outcome;
}

describe("aclRuleFor", () => {
  it("lets a user made from it run a projection and a reactor under its prefix", async () => {
    // Given the tenant user and a store under its prefix
    const redis = connectAsTenant();
    const prefix = `${TENANT}:run-${randomBytes(4).toString("hex")}`;
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    try {
      for (let i = 1; i <= 19; i++)
        await store.append(`account-${i % 4}`, [{ type: "Deposited", data: { amount: i } }]);
      // (a durable append sends WAIT: allowed, and with no replica it times out as it should)
      const durable = await rejectionOf(
        store.append("account-0", [{ type: "Deposited", data: { amount: 20 } }], {
          durability: { replicas: 1, timeoutMs: 10 },
        }),
      );
      expect(durable).toMatchObject({ code: "REPLICATION_TIMEOUT" });
      // When a projection and a reactor run as that user
      const projection = defineProjection(events, {
        name: "totals",
        version: 1,
        source: ["account"],
        key: (event) => event.streamName,
        initialState: () => ({ total: 0 }),
        handlers: {
          Deposited: (draft, event) => {
            draft.total += event.data.amount;
          },
        },
      });
      const runner = startProjection(projection, { redis, store, logger: silentLogger });
      const seen = new Set<string>();
      const reactor = startReactor(
        defineReactor(events, {
          name: "audit",
          source: ["account"],
          handlers: {
            Deposited: (event) => {
              seen.add(event.id);
            },
          },
        }),
        {
          redis,
          store,
          logger: silentLogger,
          startFrom: "beginning",
          blockMs: 50,
          claimIntervalMs: 50,
        },
      );
      try {
        await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
        const deadline = Date.now() + 20_000;
        while (seen.size < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        // Then both did all their work, with no permission error anywhere
        expect(await runner.get("account-1")).toEqual({ total: 1 + 5 + 9 + 13 + 17 });
        expect((await runner.status()).partitions[0]?.lag).toBe(0);
        expect(await runner.deadLetters.list()).toEqual([]);
        expect(seen.size).toBe(20);
        expect(await reactor.deadLetters.list()).toEqual([]);
      } finally {
        await Promise.all([runner.stop(), reactor.stop()]);
      }
    } finally {
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  });

  it("keeps the user out of every other prefix, through the toolkit and with raw commands", async () => {
    // Given the tenant user
    const redis = connectAsTenant();
    try {
      // When it uses a store under another prefix, Then Redis refuses (NOPERM) and nothing is written
      const foreign = getRedisEventStore({ redis, events, prefix: "victim", logger: silentLogger });
      // (to the victim's aggregate, and to a category it has not registered)
      for (const stream of ["account-1", "loan-1"]) {
        const appendError = await rejectionOf(
          foreign.append(stream, [{ type: "Deposited", data: { amount: 1 } }]),
        );
        expect(appendError.message).toMatch(/NOPERM|EXECABORT/);
      }
      const readError = await rejectionOf(
        (async () => {
          for await (const _event of foreign.read("account-1"));
        })(),
      );
      expect(readError.message).toMatch(/NOPERM/);
      for (const refused of [
        () => foreign.version("account-1"),
        () => foreign.exists("account-1"),
        () => foreign.partitionsOf("account"),
      ]) {
        expect((await rejectionOf(refused())).message).toMatch(/NOPERM/);
      }
      // And raw reads and writes of the other prefix's keys are refused
      for (const attempt of [
        () => redis.get("victim:plain"),
        () => redis.get("victim:layout"),
        () => redis.set("victim:layout", "2"),
        () => redis.hget("victim:categories", "account"),
        () => redis.getBuffer(VICTIM_INDEX),
        () => redis.strlen(VICTIM_INDEX),
        () => redis.getrange(VICTIM_INDEX, 0, 11),
        () => redis.append(VICTIM_INDEX, victimIndex),
        () => redis.xrange(VICTIM_LOG, "-", "+"),
        () => redis.xrevrange(VICTIM_LOG, "+", "-"),
        () => redis.xadd(VICTIM_LOG, "*", "i", "x"),
        () => redis.xdel(VICTIM_LOG, victimPosition),
        () => redis.xtrim(VICTIM_LOG, "MAXLEN", 0),
        () => redis.del("victim:plain"),
        () => redis.del(VICTIM_INDEX),
        () => redis.eval("return redis.call('GET', KEYS[1])", 1, "victim:plain"),
        // The read-only script commands the store reads aggregates with, on the victim's keys
        () =>
          redis.call("EVAL_RO", "return redis.call('GETRANGE', KEYS[1], 0, -1)", 1, VICTIM_INDEX),
        () =>
          redis.call("EVAL_RO", "return redis.call('XRANGE', KEYS[1], '-', '+')", 1, VICTIM_LOG),
        // A script cannot reach an undeclared key either
        () => redis.eval("return redis.call('GET', 'victim:plain')", 1, `${TENANT}:x`),
        () => redis.call("CONFIG", "GET", "*"),
        () => redis.call("KEYS", "*"),
        () => redis.call("FLUSHDB"),
        () => redis.call("ACL", "LIST"),
        () => redis.subscribe("anything"),
      ]) {
        // NOPERM, or, for a key a script did not declare, "can't access at least one of the keys"
        expect((await rejectionOf(attempt())).message).toMatch(/NOPERM|can't access/);
      }
      expect(await admin.get("victim:plain")).toBe("secret");
      expect(await admin.get("victim:layout")).toBe("2");
      expect(await admin.hgetall("victim:categories")).toEqual({ account: "1" });
      expect(await admin.getBuffer(VICTIM_INDEX)).toEqual(victimIndex);
      expect((await admin.xrange(VICTIM_LOG, "-", "+")).map(([position]) => position)).toEqual([
        victimPosition,
      ]);
      // What it does not protect (docs/security.md): SCAN lists the names of every key, not values
      const [, names] = await redis.scan("0", "MATCH", "victim:*", "COUNT", 1000);
      expect(names.sort()).toEqual(["victim:plain", ...VICTIM_KEYS].sort());
    } finally {
      await redis.quit();
    }
  });

  it("leaves out SCAN and WAIT when asked, and refuses a prefix that is not a key prefix", () => {
    // Given / When / Then
    expect(aclRuleFor("shop", { scan: false, wait: false })).not.toEqual(
      expect.arrayContaining(["+scan"]),
    );
    expect(aclRuleFor("shop").slice(0, 4)).toEqual([
      "resetkeys",
      "~shop:*",
      "resetchannels",
      "-@all",
    ]);
    expect(() => aclRuleFor("shop*")).toThrow(/prefix/);
    expect(() => aclRuleFor("a b")).toThrow(/prefix/);
  });
});
