import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

describe("startRedisCluster", () => {
  it("starts primaries and replicas serving every slot, and stop() kills them and removes their files", async () => {
    // Given a cluster of 3 primaries with 1 replica each
    const cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 1 });
    const dir = dirname(cluster.nodes[0]?.server.dir ?? "");
    try {
      // Then 3 primaries are the startup nodes, and each has exactly one replica
      const primaries = cluster.nodes.filter((node) => node.role === "primary");
      const replicas = cluster.nodes.filter((node) => node.role === "replica");
      expect(primaries).toHaveLength(3);
      expect(replicas).toHaveLength(3);
      expect(cluster.startupNodes.map((node) => node.port)).toEqual(
        primaries.map((node) => node.port),
      );
      expect(replicas.map((node) => node.primaryId).sort()).toEqual(
        primaries.map((node) => node.id).sort(),
      );
      // ... every node agrees the cluster is ok with all slots served
      for (const node of cluster.nodes) {
        const direct = new Redis(node.port, "127.0.0.1");
        const info = (await direct.call("CLUSTER", "INFO")) as string;
        direct.disconnect();
        expect(info).toMatch(/cluster_state:ok/);
        expect(info).toMatch(/cluster_slots_ok:16384/);
      }
      // ... and a Cluster client reads its writes on keys of every primary
      const redis = new Cluster(cluster.startupNodes);
      for (let n = 0; n < 30; n++) await redis.set(`k${n}`, String(n));
      for (let n = 0; n < 30; n++) expect(await redis.get(`k${n}`)).toBe(String(n));
      await redis.quit();
    } finally {
      await cluster.stop();
    }
    // When stopped, Then every process has exited and the temporary directory is gone
    for (const node of cluster.nodes)
      expect(node.process.exitCode !== null || node.process.signalCode !== null).toBe(true);
    expect(existsSync(dir)).toBe(false);
  }, 300_000);
});
