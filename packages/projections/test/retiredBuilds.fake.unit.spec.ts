import { silentLogger } from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { createFakeRedis } from "@streamstore/testing";
import { describe, expect, it } from "vitest";
import { projectionKeys } from "../src/keys/projectionKeys.js";
import type { Projection } from "../src/projection/defineProjection.js";
import { createRedisReadModelStore } from "../src/readModel/createRedisReadModelStore.js";
import type { BuildContext } from "../src/runner/PartitionWorkerContext.js";
import { DEFAULT_PROJECTION_RUNNER_OPTIONS } from "../src/runner/ProjectionRunnerOptions.js";
import { dropRetiredBuilds, serverNow } from "../src/runner/retiredBuilds.js";

// Without Redis: the in-memory fake stands in for it.

function contextOf(build: string): BuildContext {
  const redis = createFakeRedis();
  const prefix = "t";
  return {
    projection: { name: "totals", version: 1 } as unknown as Projection<never, unknown>,
    build,
    redis,
    storeKeys: keyLayout(prefix),
    readModel: createRedisReadModelStore({ redis, prefix, name: "totals" }),
    keys: projectionKeys(prefix, "totals"),
    workerId: "w-new",
    options: { ...DEFAULT_PROJECTION_RUNNER_OPTIONS } as BuildContext["options"],
    logger: silentLogger,
  };
}

describe("dropRetiredBuilds", () => {
  it("keeps a due retired build while a runner of it is still a member, and deletes it once it left", async () => {
    // Given v1 retired and due, one of its runners still a live member, and its states key
    const context = contextOf("v2");
    const { redis, keys } = context;
    const now = await serverNow(redis);
    await redis.hset(keys.retired(), "v1", String(now - 1));
    await redis.hset(keys.members("v1"), "w-old", String(now + 60_000));
    await redis.hset(keys.states("v1"), "account:0", `stopped|w-old|${now}`);

    // When the active build's engine cleans up
    await dropRetiredBuilds(context, []);

    // Then v1 is left alone: its runner may still write its last state
    expect(await redis.exists(keys.states("v1"))).toBe(1);
    expect(await redis.hget(keys.retired(), "v1")).toBe(String(now - 1));

    // And once that runner left the membership, the next cleanup deletes every v1 key
    await redis.hdel(keys.members("v1"), "w-old");
    await dropRetiredBuilds(context, []);
    expect(await redis.exists(keys.states("v1"))).toBe(0);
    expect(await redis.hget(keys.retired(), "v1")).toBeNull();
  });

  it("deletes a due retired build whose members all expired, and keeps one whose grace is not over", async () => {
    const context = contextOf("v3");
    const { redis, keys } = context;
    const now = await serverNow(redis);
    await redis.hset(keys.retired(), "v1", String(now - 1), "v2", String(now + 60_000));
    await redis.hset(keys.members("v1"), "w-dead", String(now - 1));
    await redis.hset(keys.states("v1"), "account:0", "live|w-dead|0");
    await redis.hset(keys.states("v2"), "account:0", "live|w-old|0");

    await dropRetiredBuilds(context, []);

    expect(await redis.exists(keys.states("v1"))).toBe(0);
    expect(await redis.exists(keys.states("v2"))).toBe(1);
    expect(Object.keys(await redis.hgetall(keys.retired()))).toEqual(["v2"]);
  });
});
