import { fileURLToPath } from "node:url";
import { type EventStore, getRedisEventStore, silentLogger } from "@streamstore/core";
import { partitionOf } from "@streamstore/core/internal";
import { type ProjectionRunner, startProjection } from "@streamstore/projections";
import type { RedisClusterHandle } from "@streamstore/testing";
import { until } from "@streamstore/testing/internal";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountEvents } from "../../../examples/bank-account/src/account.js";
import { startExclusiveCluster } from "../../testing/test/cluster/support/startExclusiveCluster.js";
import { fragileBalances } from "./fixtures/fragileBalances.js";
import { finished, runCli, startCli } from "./support/cli.js";

// Issue 7: every command of the real binary, given the URL of ONE node of a 3-primary Cluster (no
// replicas: the machine is small; cluster test files take turns through the cluster suites' lock).
// The account category has 8 partitions spread over the 3 primaries, so a command that read only
// the seed node's keys, or sent a multi-slot command, would miss streams or fail.

const PREFIX = "clu";
const PARTITIONS = 8;
const CONFIG = fileURLToPath(new URL("./fixtures/clusterBank.config.ts", import.meta.url));

let cluster: RedisClusterHandle;
let redis: Cluster;
let store: EventStore<typeof accountEvents>;
let runner: ProjectionRunner<unknown> | undefined;
let seedPort: number;
/** Two account ids per partition, so that every partition (and every primary) has streams. */
const idsByPartition = new Map<number, string[]>();

const cli = (...args: string[]) =>
  runCli([...args, "--prefix", PREFIX, "--config", CONFIG], {
    REDIS_URL: `redis://127.0.0.1:${seedPort}`,
  });

/** The port of the primary serving `key`. */
async function primaryOf(key: string): Promise<number> {
  const slot = Number(await redis.call("CLUSTER", "KEYSLOT", key));
  const ranges = (await redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`slot ${slot} is not served`);
  return Number(range[2][1]);
}

const allIds = () => [...idsByPartition.values()].flat().sort();

beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 0 });
  redis = new Cluster(cluster.startupNodes);
  seedPort = cluster.startupNodes[0]?.port ?? 0;
  store = getRedisEventStore({
    redis,
    events: accountEvents,
    prefix: PREFIX,
    partitions: { account: PARTITIONS },
    serverCheck: "off",
    logger: silentLogger,
  });
  for (let n = 0; [...idsByPartition.values()].filter((ids) => ids.length >= 2).length < 8; n++) {
    const id = `u${n}`;
    const ids = idsByPartition.get(partitionOf(id, PARTITIONS)) ?? [];
    if (ids.length < 2) idsByPartition.set(partitionOf(id, PARTITIONS), [...ids, id]);
  }
  for (const id of allIds()) {
    await store.append(`account-${id}`, [
      { type: "AccountOpened", data: { owner: id } },
      { type: "Deposited", data: { amount: 10 } },
    ]);
  }
  // The poison event: fragile-balances refuses a deposit of 13 and, with maxDeliveries 1,
  // dead-letters it at once.
  await store.append(`account-${allIds()[0]}`, [{ type: "Deposited", data: { amount: 13 } }]);
  runner = startProjection(fragileBalances, {
    redis,
    prefix: PREFIX,
    logger: silentLogger,
    maxDeliveries: 1,
    heartbeatMs: 200,
    memberTtlMs: 1000,
    leaseTtlMs: 1500,
    blockMs: 300,
    leaseMarginMs: 100,
  });
  await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
  await until(async () => {
    const partitions = (await (runner as ProjectionRunner<unknown>).status()).partitions;
    return partitions.length === PARTITIONS && partitions.every((p) => p.state === "live");
  }, `the runner live on all ${PARTITIONS} partitions`);
}, 300_000);

afterAll(async () => {
  await runner?.stop();
  // The cluster is private to this file: stopping it removes every key the test made.
  redis?.disconnect();
  await cluster?.stop();
});

describe("streamstore streams", () => {
  it("lists every stream of every primary, given the URL of one node", async () => {
    // Given 16 streams over 8 partitions, which sit on all 3 primaries
    const ports = new Set(
      await Promise.all(
        [...idsByPartition.keys()].map((partition) => primaryOf(`{account:${partition}}`)),
      ),
    );
    expect(ports.size).toBe(3);

    // When the streams are listed through the seed node
    const run = await cli("streams", "--json");

    // Then all 16 are there, with their partitions and versions
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout) as {
      total: number;
      streams: { stream: string; partition: number; version: number }[];
    };
    expect(listed.total).toBe(16);
    expect(listed.streams.map((stream) => stream.stream)).toEqual(
      allIds()
        .map((id) => `account-${id}`)
        .sort((left, right) => left.localeCompare(right)),
    );
    for (const stream of listed.streams) {
      const id = stream.stream.slice("account-".length);
      expect(stream.partition).toBe(partitionOf(id, PARTITIONS));
      expect(stream.version).toBe(id === allIds()[0] ? 3 : 2);
    }
  });
});

describe("streamstore categories", () => {
  it("shows all 8 partition logs of the category with their entries and the projection's group", async () => {
    // Given 16 streams of 2 events each, plus the poison deposit
    // When categories are listed through the seed node
    const run = await cli("categories", "--json");

    // Then every partition is reported, from whichever primary holds it
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as {
      categories: { category: string; partitions: number; entriesAdded: number }[];
      logs: { partition: number; entriesAdded: number; memoryBytes: number; groups: unknown[] }[];
    };
    expect(parsed.categories).toEqual([{ category: "account", partitions: 8, entriesAdded: 33 }]);
    expect(parsed.logs.map((log) => log.partition)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const log of parsed.logs) {
      expect(log.entriesAdded).toBeGreaterThanOrEqual(4);
      expect(log.memoryBytes).toBeGreaterThan(0);
    }
  });
});

describe("streamstore stream show", () => {
  it("prints a stream that lives on another primary than the node in the URL", async () => {
    // Given a stream whose partition is served by a primary other than the seed (not the one
    // with the poison deposit)
    let id: string | undefined;
    for (const candidate of allIds().slice(1)) {
      if ((await primaryOf(`{account:${partitionOf(candidate, PARTITIONS)}}`)) !== seedPort) {
        id = candidate;
        break;
      }
    }
    expect(id).toBeDefined();

    // When it is shown through the seed node
    const run = await cli("stream", "show", `account-${id}`, "--json");

    // Then its events are decoded with the config's catalog
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as {
      version: number;
      events: { type: string; data: unknown; decoded: boolean }[];
    };
    expect(shown.events.map((event) => [event.type, event.data, event.decoded])).toEqual([
      ["AccountOpened", { owner: id }, true],
      ["Deposited", { amount: 10 }, true],
    ]);
  });
});

describe("streamstore tail", () => {
  it("prints events appended while it runs to partitions on every primary, and ends with 0 on Ctrl-C", async () => {
    // Given a tail of the account category from now, started through the seed node
    const child = startCli(["tail", "account", "--json", "--prefix", PREFIX, "--config", CONFIG], {
      REDIS_URL: `redis://127.0.0.1:${seedPort}`,
    });
    const exited = finished(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const seen = () =>
      new Set(
        stdout
          .split("\n")
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { partition: number }).partition),
      );

    // When, once its "Tailing category" note says its start positions are taken, a deposit is
    // appended to one stream of each partition
    const appended: { stream: string; version: number }[] = [];
    try {
      await until(
        () => stderr.includes("Tailing category") || child.exitCode !== null,
        "tail to take its start",
        60_000,
      );
      for (const [, ids] of idsByPartition) {
        const result = await store.append(`account-${ids[1]}`, [
          { type: "Deposited", data: { amount: 1 } },
        ]);
        appended.push({ stream: `account-${ids[1]}`, version: result.nextExpectedVersion });
      }
      await until(
        () => seen().size === PARTITIONS || child.exitCode !== null,
        `tail to print a deposit of each of the ${PARTITIONS} partitions`,
      );
    } finally {
      if (child.exitCode === null) child.kill("SIGINT");
    }
    const run = await exited;

    // Then events of all 8 partitions were printed, each one that was appended
    expect(run.code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { partition: number; stream: string; version: number; type: string },
      );
    expect(new Set(lines.map((line) => line.partition)).size).toBe(PARTITIONS);
    for (const line of lines) {
      expect(line.type).toBe("Deposited");
      expect(appended).toContainEqual({ stream: line.stream, version: line.version });
    }
  });
});

describe("streamstore projections status", () => {
  it("reports every partition of the projection live with lag 0", async () => {
    // Given the fragile-balances runner caught up (the tail's deposits included)
    await runner?.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });

    // When its status is asked for through the seed node
    const run = await cli("projections", "status", "fragile-balances", "--json");

    // Then all 8 partitions are live, with nothing left to apply, and the dead letter is counted
    expect(run.code).toBe(0);
    const [status] = (
      JSON.parse(run.stdout) as {
        projections: {
          build: string;
          deadLetters: number;
          partitions: { partition: number; state: string; lag: number }[];
        }[];
      }
    ).projections;
    expect(status?.build).toBe("v1");
    expect(status?.deadLetters).toBe(1);
    expect(
      status?.partitions.map((partition) => [partition.partition, partition.state, partition.lag]),
    ).toEqual(Array.from({ length: PARTITIONS }, (_, partition) => [partition, "live", 0]));
  });
});

describe("streamstore dlq list", () => {
  it("lists the dead letter of the poison deposit", async () => {
    // Given the deposit of 13 that fragile-balances refused
    // When the dead letters are listed through the seed node
    const run = await cli("dlq", "list", "fragile-balances", "--json");

    // Then that one event is there
    expect(run.code).toBe(0);
    const { deadLetters } = JSON.parse(run.stdout) as {
      deadLetters: { partition: string; type: string; error: string }[];
    };
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.type).toBe("Deposited");
    expect(deadLetters[0]?.partition).toBe(
      `account:${partitionOf(allIds()[0] as string, PARTITIONS)}`,
    );
    expect(deadLetters[0]?.error).toContain("cannot handle a deposit of 13");
  });
});

describe("streamstore dashboard", () => {
  it("serves a snapshot with all 8 partitions of the category and the projection caught up", async () => {
    // Given the dashboard started through the seed node, on a free port
    const child = startCli(
      ["dashboard", "--port", "0", "--interval", "200", "--prefix", PREFIX, "--config", CONFIG],
      { REDIS_URL: `redis://127.0.0.1:${seedPort}` },
    );
    const exited = finished(child);
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    try {
      for (let i = 0; i < 100 && !/dashboard on (\S+)/.test(stdout); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const url = /dashboard on (\S+)/.exec(stdout)?.[1];
      expect(url).toBeDefined();

      // When its snapshot is read once a sample was taken
      type Snapshot = {
        categories: { category: string; partitions: number; entriesAdded: number }[];
        projections: { name: string; state: string; lag: number; deadLetters: number }[];
      };
      let snapshot: Snapshot | null = null;
      for (let i = 0; i < 50 && !snapshot; i++) {
        const body = (await (await fetch(new URL("/api/snapshot", url))).json()) as {
          snapshot: Snapshot | null;
        };
        snapshot = body.snapshot;
        if (!snapshot) await new Promise((resolve) => setTimeout(resolve, 100));
      }

      // Then it counts the entries of every partition, and the projection live with no lag
      const added = (await cli("categories", "--json")).stdout;
      expect(
        snapshot?.categories.map(({ category, partitions, entriesAdded }) => ({
          category,
          partitions,
          entriesAdded,
        })),
      ).toEqual((JSON.parse(added) as { categories: Snapshot["categories"] }).categories);
      expect(snapshot?.categories[0]?.partitions).toBe(PARTITIONS);
      expect(
        snapshot?.projections.map((projection) => [
          projection.name,
          projection.state,
          projection.lag,
          projection.deadLetters,
        ]),
      ).toEqual([["fragile-balances", "live", 0, 1]]);
    } finally {
      child.kill("SIGINT");
    }
    expect((await exited).code).toBe(0);
  });
});

describe("streamstore projections rebuild", () => {
  it("rebuilds the projection over the 8 partitions and switches readers to the new build", async () => {
    // Given the projection live on build v1, its runner stopped
    await runner?.stop();
    runner = undefined;

    // When it is rebuilt through the seed node
    const run = await cli("projections", "rebuild", "fragile-balances", "--yes", "--json");

    // Then the rebuild is done and readers are on the new build, which applied every entry
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      status: string;
      previousBuild: string;
      activeBuild: string;
      applied: number;
      total: number;
    };
    expect(summary.status).toBe("done");
    expect(summary.previousBuild).toBe("v1");
    expect(summary.activeBuild).not.toBe("v1");
    expect(summary.applied).toBe(summary.total);
    const status = JSON.parse(
      (await cli("projections", "status", "fragile-balances", "--json")).stdout,
    ) as { projections: { build: string; activeBuild: string }[] };
    expect(status.projections[0]?.activeBuild).toBe(summary.activeBuild);
  });
});
