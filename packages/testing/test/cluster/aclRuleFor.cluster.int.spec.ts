import { randomBytes } from "node:crypto";
import { aclRuleFor, defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import { defineProjection, startProjection } from "@streamstore/projections";
import type { RedisClusterHandle } from "@streamstore/testing";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

// An application on a Redis Cluster with an ACL user made from aclRuleFor(prefix): the ioredis
// Cluster client asks every node CLUSTER SLOTS and CLUSTER INFO before any command, so a rule
// without them let no client start ("Failed to refresh slots cache"), found while adding the
// CLI's Cluster support (issue 7).

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
}, 300_000);
afterAll(async () => {
  for (const admin of admins) admin.disconnect();
  await cluster?.stop();
});

const connectAs = (username: string) =>
  new Cluster(cluster.startupNodes, {
    clusterRetryStrategy: () => null,
    redisOptions: { username, password: PASSWORD, maxRetriesPerRequest: null },
  });

describe("aclRuleFor on a Redis Cluster", () => {
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
