import { createRedisReadModelStore, discoverProjections } from "@streamstore/projections";
import { projectionKeys } from "@streamstore/projections/internal";
import type { RedisClusterHandle } from "@streamstore/testing";
import { deleteKeys, scanKeys } from "@streamstore/testing/contract";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExclusiveCluster } from "../../testing/test/cluster/support/startExclusiveCluster.js";

// Issue 7: on an ioredis Cluster a keyless SCAN reaches one random node, so discovery listed the
// projections whose active pointer happened to be there, and dropping an old build left its keys
// on the other primaries. Both now scan every primary. 3 primaries without replicas (small machine);
// cluster test files take turns through the lock of the cluster suites.

const PREFIX = "disc";
let cluster: RedisClusterHandle;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 0 });
  redis = new Cluster(cluster.startupNodes);
}, 300_000);

afterAll(async () => {
  if (redis) {
    await deleteKeys(redis, `${PREFIX}:*`);
    await redis.quit();
  }
  await cluster?.stop();
});

/** The port of the primary serving `key` (CLUSTER KEYSLOT, then CLUSTER SLOTS). */
async function primaryOf(key: string): Promise<number> {
  const slot = Number(await redis.call("CLUSTER", "KEYSLOT", key));
  const ranges = (await redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`slot ${slot} is not served`);
  return Number(range[2][1]);
}

/** Projection names, two per primary, chosen by where `pick(name)` lands. */
async function namesOnEveryPrimary(pick: (name: string) => string): Promise<string[]> {
  const byPrimary = new Map<number, string[]>();
  for (let n = 0; [...byPrimary.values()].filter((names) => names.length >= 2).length < 3; n++) {
    const name = `p${n}`;
    const port = await primaryOf(pick(name));
    const names = byPrimary.get(port) ?? [];
    if (names.length < 2) byPrimary.set(port, [...names, name]);
  }
  return [...byPrimary.values()].flat().sort();
}

describe("discoverProjections", () => {
  it("finds the projections whose active pointers sit on every primary of a Cluster", async () => {
    // Given six projections' active pointers, two on each of the 3 primaries
    const names = await namesOnEveryPrimary((name) => projectionKeys(PREFIX, name).active());
    for (const name of names) await redis.set(projectionKeys(PREFIX, name).active(), "v1");

    // When they are discovered through the Cluster client
    const found = await discoverProjections({ redis, prefix: PREFIX });

    // Then every one is found, not only those of the node the SCAN happened to reach
    expect(found.map((projection) => [projection.name, projection.activeBuild])).toEqual(
      names.map((name) => [name, "v1"]),
    );
  });
});

describe("createRedisReadModelStore", () => {
  it("drops a build's keys on whichever primary holds them, and keeps the other builds", async () => {
    // Given builds v1 and v2 of six projections whose v1 tags sit on every primary
    const names = await namesOnEveryPrimary((name) => projectionKeys(PREFIX, name).doc("v1", "a"));
    for (const name of names) {
      const keys = projectionKeys(PREFIX, name);
      for (const build of ["v1", "v2"]) {
        await redis.set(keys.doc(build, "a"), "{}");
        await redis.set(keys.doc(build, "b"), "{}");
        await redis.hset(keys.checkpoints(build), "account:0", "1-0|1");
      }
    }

    // When v1 of each is dropped through the Cluster client
    for (const name of names) {
      await createRedisReadModelStore({ redis, prefix: PREFIX, name }).dropBuild("v1");
    }

    // Then no v1 key is left on any primary, and every v2 key is still there
    const left = await scanKeys(redis, `${PREFIX}:{rm:*`);
    expect(left.filter((key) => key.includes(":v1}"))).toEqual([]);
    expect(left.filter((key) => key.includes(":v2}"))).toHaveLength(names.length * 3);
  });
});
