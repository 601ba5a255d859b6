import { randomBytes } from "node:crypto";
import {
  aclRuleFor,
  coreFunctionLibrary,
  defineEvents,
  type EventCatalog,
  getRedisEventStore,
  installFunctionLibraries,
  isFunctionsNotLoadedError,
  silentLogger,
} from "@streamstore/core";
import {
  defineProjection,
  defineReactor,
  projectionsFunctionLibrary,
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
// The operator step (issue 14): the toolkit's Lua runs as Redis Functions that an admin loads;
// the tenant may call them (FCALL, FCALL_RO) and run no Lua of its own.
const LIBRARIES = [coreFunctionLibrary, projectionsFunctionLibrary];
await installFunctionLibraries(admin, LIBRARIES);
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
        // The functions the store reads aggregates with, on the victim's keys
        () =>
          redis.call(
            "FCALL_RO",
            coreFunctionLibrary.functions.read.name,
            2,
            VICTIM_INDEX,
            VICTIM_LOG,
            "forward",
            1,
            0,
            10,
          ),
        () => redis.call("FCALL_RO", coreFunctionLibrary.functions.version.name, 1, VICTIM_INDEX),
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

  it("refuses the user any Lua of its own: EVAL, EVALSHA, EVAL_RO, SCRIPT LOAD, FUNCTION LOAD", async () => {
    // Given the tenant user, and a script the admin loaded (so EVALSHA would find it)
    const redis = connectAsTenant();
    const sha = (await admin.script("LOAD", "return redis.call('GET', KEYS[1])")) as string;
    const spin = "local x = 0 for i = 1, 100000000 do x = x + i end return x";
    try {
      // When it tries to run Lua it wrote, under its own prefix
      const attempts = [
        () => redis.eval(spin, 0),
        () => redis.eval("return redis.call('GET', KEYS[1])", 1, `${TENANT}:x`),
        () => redis.evalsha(sha, 1, `${TENANT}:x`),
        () => redis.call("EVAL_RO", "return 1", 0),
        () => redis.call("EVALSHA_RO", sha, 1, `${TENANT}:x`),
        () => redis.script("LOAD", spin),
        () => redis.call("SCRIPT", "FLUSH"),
        () => redis.call("SCRIPT", "KILL"),
        () =>
          redis.call(
            "FUNCTION",
            "LOAD",
            "#!lua name=mine\nredis.register_function('spin', function() while true do end end)",
          ),
        () => redis.call("FUNCTION", "DELETE", coreFunctionLibrary.name),
        () => redis.call("FUNCTION", "FLUSH"),
        () => redis.call("FUNCTION", "LIST"),
      ];
      // Then each is refused with NOPERM
      for (const attempt of attempts) {
        expect((await rejectionOf(attempt())).message).toMatch(/^NOPERM/);
      }
      // And the operator's libraries are still there, and nothing else was loaded
      const libraries = (await admin.call("FUNCTION", "LIST")) as unknown[][];
      expect(libraries.map((library) => library[1]).sort()).toEqual(
        LIBRARIES.map((library) => library.name).sort(),
      );
    } finally {
      await redis.quit();
    }
  });

  it("tells the user, typed, that an operator must load the functions, and writes nothing", async () => {
    // Given a server whose core library is gone (a flush, or never installed)
    const redis = connectAsTenant();
    const prefix = `${TENANT}:nolib-${randomBytes(4).toString("hex")}`;
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
    await admin.call("FUNCTION", "DELETE", coreFunctionLibrary.name);
    try {
      // When the user appends and reads
      const appendError = await rejectionOf(
        store.append("account-1", [{ type: "Deposited", data: { amount: 2 } }]),
      );
      const versionError = await rejectionOf(store.version("account-1"));
      // Then both fail with the typed error naming the library and the operator step
      for (const error of [appendError, versionError]) {
        expect(isFunctionsNotLoadedError(error)).toBe(true);
        expect(error.message).toMatch(/^\[streamstore\] the Redis Functions library/);
        expect(error.message).toContain(coreFunctionLibrary.name);
        expect(error.message).toContain("streamstore functions install");
      }
      // And nothing was written: the aggregate still holds one event
      expect(await admin.strlen(`${prefix}:{account:0}:i:1`)).toBe(12);
      expect(await admin.xlen(`${prefix}:{account:0}:log`)).toBe(1);
      // And once the operator loads it again, the same store works on
      await installFunctionLibraries(admin, [coreFunctionLibrary]);
      await store.append("account-1", [{ type: "Deposited", data: { amount: 2 } }]);
      expect(await store.version("account-1")).toBe(2);
    } finally {
      await installFunctionLibraries(admin, LIBRARIES);
      await deleteKeys(redis, `${prefix}:*`);
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
