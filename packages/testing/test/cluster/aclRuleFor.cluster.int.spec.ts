import { randomBytes } from "node:crypto";
import {
  aclRuleFor,
  coreFunctionLibrary,
  defineEvents,
  getRedisEventStore,
  installFunctionLibraries,
  silentLogger,
} from "@streamstore/core";
import {
  defineProjection,
  defineReactor,
  projectionsFunctionLibrary,
  startProjection,
  startReactor,
} from "@streamstore/projections";
import { type RedisClusterHandle, recordingLogger } from "@streamstore/testing";
import { createContractContext, testEventStore } from "@streamstore/testing/contract";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

// An application on a Redis Cluster with an ACL user made from aclRuleFor(prefix): the ioredis
// Cluster client asks every node CLUSTER SLOTS and CLUSTER INFO before any command, so a rule
// without them let no client start ("Failed to refresh slots cache"), found while adding the
// CLI's Cluster support (issue 7). Issue 14: the toolkit's Lua runs as Redis Functions that an
// operator loads on every primary; the user runs the contract suite, a projection and a reactor
// with FCALL/FCALL_RO and is refused any Lua of its own.

const PREFIX = "tenant";
const PASSWORD = randomBytes(12).toString("hex");
const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });
const balances = defineProjection(events, {
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

let cluster: RedisClusterHandle;
const admins: Redis[] = [];
beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 0 });
  // ACL users live on each node: create them everywhere, as an operator would.
  const withoutClusterCommands = aclRuleFor(PREFIX).filter(
    (rule) => rule !== "+cluster|slots" && rule !== "+cluster|info",
  );
  for (const node of cluster.nodes) {
    const admin = new Redis(node.port, "127.0.0.1");
    admins.push(admin);
    await admin.call("ACL", "SETUSER", "app", "on", `>${PASSWORD}`, ...aclRuleFor(PREFIX));
    await admin.call("ACL", "SETUSER", "old", "on", `>${PASSWORD}`, ...withoutClusterCommands);
  }
  // The operator step, through a Cluster client: the libraries on every primary
  const operator = new Cluster(cluster.startupNodes);
  installs = await installFunctionLibraries(operator, [
    coreFunctionLibrary,
    projectionsFunctionLibrary,
  ]);
  operator.disconnect();
}, 300_000);
let installs: Awaited<ReturnType<typeof installFunctionLibraries>> = [];
afterAll(async () => {
  for (const admin of admins) admin.disconnect();
  await cluster?.stop();
});

const connectAs = (username: string) =>
  new Cluster(cluster.startupNodes, {
    clusterRetryStrategy: () => null,
    redisOptions: { username, password: PASSWORD, maxRetriesPerRequest: null },
  });

testEventStore("Redis Cluster, ACL user limited by aclRuleFor", async () => {
  const redis = connectAs("app");
  redis.on("error", () => {});
  return createContractContext(redis, { under: PREFIX });
});

describe("aclRuleFor on a Redis Cluster", () => {
  it("has the operator's libraries on each of the 3 primaries", () => {
    // Given / When the operator step of beforeAll / Then both libraries went to 3 servers
    expect(new Set(installs.map((install) => install.server)).size).toBe(3);
    expect(installs.filter((install) => install.outcome === "loaded")).toHaveLength(6);
  });

  it("refuses the user EVAL, EVALSHA of a loaded script, SCRIPT LOAD and FUNCTION LOAD on every primary", async () => {
    // Given the user on each primary, and a script an admin loaded there
    for (const [index, node] of cluster.nodes.entries()) {
      const admin = admins[index] as Redis;
      const sha = String(await admin.call("SCRIPT", "LOAD", "return 1"));
      const user = new Redis(node.port, "127.0.0.1", { username: "app", password: PASSWORD });
      try {
        // When it tries to run Lua of its own
        const attempts = [
          () => user.eval("return 1", 0),
          () => user.evalsha(sha, 0),
          () => user.call("EVAL_RO", "return 1", 0),
          () => user.script("LOAD", "return 1"),
          () =>
            user.call(
              "FUNCTION",
              "LOAD",
              "#!lua name=mine\nredis.register_function('f', function() return 1 end)",
            ),
        ];
        // Then each is refused
        for (const attempt of attempts) {
          await expect(attempt()).rejects.toThrow(/^NOPERM/);
        }
      } finally {
        user.disconnect();
      }
    }
  });

  it("runs a reactor as the user", async () => {
    // Given the user's Cluster client (it never reconnects: clusterRetryStrategy null) and a store
    const redis = connectAs("app");
    const logger = recordingLogger();
    redis.on("error", () => {});
    const seen = new Set<string>();
    try {
      const prefix = `${PREFIX}:reactor-${randomBytes(3).toString("hex")}`;
      const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
      for (let i = 0; i < 10; i++) {
        await store.append(`account-r${i}`, [{ type: "Deposited", data: { amount: i } }]);
      }
      // When a reactor handles the category from the beginning
      const reactor = startReactor(
        defineReactor(events, {
          name: "audit",
          source: ["account"],
          handlers: {
            Deposited: (event) => {
              if (event.streamName.startsWith("account-r")) seen.add(event.id);
            },
          },
        }),
        { redis, store, logger, startFrom: "beginning", blockMs: 50 },
      );
      try {
        const deadline = Date.now() + 20_000;
        while (seen.size < 10 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // Then it handled all ten, and dead-lettered none (what it logged says why, if not)
        expect(seen.size, logger.text()).toBe(10);
        expect(await reactor.deadLetters.list()).toEqual([]);
      } finally {
        await reactor.stop();
      }
    } finally {
      redis.disconnect();
    }
  });

  it("lets an ioredis Cluster client of the user append over 8 partitions and run a projection", async () => {
    // Given a Cluster client logged in as the user made from aclRuleFor
    const redis = connectAs("app");
    redis.on("error", () => {});
    try {
      const store = getRedisEventStore({
        redis,
        events,
        prefix: PREFIX,
        partitions: { account: 8 },
        logger: silentLogger,
      });

      // When it appends to 40 accounts (every partition, every primary) and projects them
      for (let account = 0; account < 40; account++) {
        await store.append(`account-${account}`, [
          { type: "Deposited", data: { amount: account } },
          { type: "Deposited", data: { amount: 1 } },
        ]);
      }
      const runner = startProjection(balances, {
        redis,
        store,
        logger: silentLogger,
        heartbeatMs: 200,
        memberTtlMs: 800,
        leaseTtlMs: 1000,
        blockMs: 300,
        leaseMarginMs: 100,
      });
      try {
        await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

        // Then every balance is there and no partition is refused anything
        for (let account = 0; account < 40; account++) {
          expect(await runner.get(`account-${account}`)).toEqual({ balance: account + 1 });
        }
        const status = await runner.status();
        expect(status.partitions).toHaveLength(8);
        expect(status.partitions.every((partition) => partition.state !== "failed")).toBe(true);
      } finally {
        await runner.stop();
      }
    } finally {
      redis.disconnect();
    }
  });

  it("keeps a Cluster client of a user without CLUSTER SLOTS and CLUSTER INFO from starting", async () => {
    // Given the same rule without the two cluster commands
    const redis = connectAs("old");
    redis.on("error", () => {});

    // When it sends its first command
    const first = redis.ping().then(
      () => "answered",
      (error: unknown) => String(error),
    );

    // Then the client never reaches a node: the two commands are what it needs
    expect(await first).toMatch(/None of startup nodes is available|Failed to refresh slots cache/);
    redis.disconnect();
  });
});
