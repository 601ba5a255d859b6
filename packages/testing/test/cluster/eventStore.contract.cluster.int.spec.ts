import type { RedisClusterHandle } from "@streamstore/testing";
import { createContractContext, testEventStore } from "@streamstore/testing/contract";
import { Cluster } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

// One cluster for the whole file (the machine is shared): started before the suite, stopped after.
let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 1 });
}, 300_000);
afterAll(async () => {
  await cluster?.stop();
});

testEventStore("Redis Cluster, 3 primaries", async () =>
  createContractContext(new Cluster(cluster.startupNodes)),
);
