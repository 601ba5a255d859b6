import { type RedisClusterHandle, startRedisCluster } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

// Issue 7: doctor checks each primary of a Redis Cluster given the URL of any one node. A private 3-primary cluster without replicas (the machine is
// small), every node made safe first, so that one primary's setting alone decides the exit code.

interface DoctorReport {
  ok: boolean;
  checks: { node: string; check: string; status: string; value: string }[];
}

let cluster: RedisClusterHandle;
let primaries: string[];
let url: string;

async function onNode(port: number, ...args: string[]): Promise<unknown> {
  const node = new Redis(port, "127.0.0.1");
  try {
    return await node.call(args[0] as string, ...args.slice(1));
  } finally {
    node.disconnect();
  }
}

beforeAll(async () => {
  cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 0 });
  primaries = cluster.startupNodes.map((node) => `127.0.0.1:${node.port}`).sort();
  for (const { port } of cluster.startupNodes) {
    await onNode(port, "CONFIG", "SET", "appendonly", "yes");
    await onNode(port, "CONFIG", "SET", "appendfsync", "always");
    await onNode(port, "CONFIG", "SET", "maxmemory-policy", "noeviction");
  }
  url = `redis://127.0.0.1:${cluster.startupNodes[1]?.port}`;
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("streamstore doctor", () => {
  it("reports cluster mode and checks every primary, given the URL of one node", async () => {
    // Given a 3-primary cluster with persistence on and noeviction everywhere
    // When doctor runs against one node, as text and JSON
    const run = await runCli(["doctor", "--prefix", "shop"], { REDIS_URL: url });
    const json = JSON.parse(
      (await runCli(["doctor", "--prefix", "shop", "--json"], { REDIS_URL: url })).stdout,
    ) as DoctorReport;

    // Then cluster mode is reported, and each primary has its own checks, all passing
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok\s+cluster\s+127\.0\.0\.1:\d+\s+cluster mode, 3 primaries/);
    for (const primary of primaries) {
      expect(run.stdout).toMatch(
        new RegExp(`ok\\s+maxmemory-policy\\s+${primary.replace(/\./g, "\\.")}\\s+noeviction`),
      );
    }
    expect(json.ok).toBe(true);
    expect(json.checks.find((check) => check.check === "cluster")?.value).toBe(
      "cluster mode, 3 primaries",
    );
    const nodes = [
      ...new Set(
        json.checks.filter((check) => check.check !== "cluster").map((check) => check.node),
      ),
    ].sort();
    expect(nodes).toEqual(primaries);
    for (const primary of primaries) {
      expect(
        json.checks
          .filter((check) => check.node === primary && check.check !== "cluster")
          .map((check) => check.check)
          .sort(),
      ).toEqual(["maxmemory", "maxmemory-policy", "persistence", "replicas", "version"]);
    }
  });

  it("fails with exit code 3 naming the one primary set to maxmemory-policy allkeys-lru", async () => {
    // Given one primary (not the node given in the URL) switched to an evicting policy
    const evicting = cluster.startupNodes[2];
    const address = `127.0.0.1:${evicting?.port}`;
    await onNode(evicting?.port ?? 0, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    try {
      // When doctor runs against another node
      const run = await runCli(["doctor", "--prefix", "shop"], { REDIS_URL: url });
      const json = JSON.parse(
        (await runCli(["doctor", "--prefix", "shop", "--json"], { REDIS_URL: url })).stdout,
      ) as DoctorReport;

      // Then exactly that node's policy check fails, and the others pass
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(
        new RegExp(`FAIL\\s+maxmemory-policy\\s+${address.replace(/\./g, "\\.")}\\s+allkeys-lru`),
      );
      expect(run.stdout).toContain("1 check failed: this Redis can lose events (exit code 3)");
      expect(
        json.checks
          .filter((check) => check.status === "fail")
          .map((check) => [check.node, check.check]),
      ).toEqual([[address, "maxmemory-policy"]]);
    } finally {
      await onNode(evicting?.port ?? 0, "CONFIG", "SET", "maxmemory-policy", "noeviction");
    }
  });
});
