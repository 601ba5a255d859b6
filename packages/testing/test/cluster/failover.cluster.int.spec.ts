import {
  type AppendOptions,
  defineEvents,
  getRedisEventStore,
  isConcurrencyError,
  isReplicationTimeoutError,
  partitionOf,
  silentLogger,
} from "@streamstore/core";
import { defineProjection, startProjection } from "@streamstore/projections";
import type { RedisClusterHandle, RedisClusterNode } from "@streamstore/testing";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

const PARTITIONS = 8;
const PREFIX = "fo";
const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });
const counts = defineProjection(events, {
  name: "counts",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: () => ({ count: 0, lastVersion: 0, violations: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      if (event.version !== draft.lastVersion + 1) draft.violations++;
      draft.lastVersion = event.version;
      draft.count++;
    },
  },
});

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 1 });
}, 300_000);
afterAll(async () => {
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const connect = () =>
  new Cluster(cluster.startupNodes, {
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 500 },
    clusterRetryStrategy: () => 100,
  });

/** The port serving a slot, asked of a node that is still alive. */
async function ownerOf(slot: number, via: RedisClusterNode[]): Promise<number | undefined> {
  for (const node of via) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
    const direct = new Redis(node.port, "127.0.0.1", {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    direct.on("error", () => {});
    try {
      const info = (await direct.call("CLUSTER", "INFO")) as string;
      if (!info.includes("cluster_state:ok")) return undefined;
      const ranges = (await direct.call("CLUSTER", "SLOTS")) as [
        number,
        number,
        [string, number],
      ][];
      return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    } catch {
    } finally {
      direct.disconnect();
    }
  }
  return undefined;
}

interface Tally {
  acknowledged: Map<string, number>;
  duplicateReplies: number;
  errorsRetried: number;
  unconfirmed: number;
  lostDetected: number;
}

describe("getRedisEventStore and startProjection across a Redis Cluster failover", () => {
  it("carry on when the primary of a busy partition is SIGKILLed, losing no append acknowledged with durability", async () => {
    // Given a store over 8 partitions and a projection runner, and the primary owning partition 0
    const redis = connect();
    const store = getRedisEventStore({
      redis,
      events,
      prefix: PREFIX,
      partitions: PARTITIONS,
      logger: silentLogger,
    });
    await store.append("account-warmup", [{ type: "Deposited", data: { amount: 0 } }]);
    const slot = Number(await redis.call("CLUSTER", "KEYSLOT", store.keys.log("account", 0)));
    const victimPort = await ownerOf(slot, cluster.nodes);
    const victim = cluster.nodes.find((node) => node.port === victimPort) as RedisClusterNode;
    expect(victim.role).toBe("primary");
    const runnerClient = connect();
    const runner = startProjection(counts, {
      redis: runnerClient,
      prefix: PREFIX,
      logger: silentLogger,
      heartbeatMs: 200,
      memberTtlMs: 800,
      leaseTtlMs: 1500,
      blockMs: 300,
      leaseMarginMs: 100,
    });

    // 24 appenders on aggregates of partition 0 (the victim's): half ask for durability
    // (WAIT for 1 replica), half do not; 8 more on other partitions. Every event id is
    // "<stream>:<version>", and a failed append is retried with the same id (idempotent).
    const ids = (partition: number, count: number, tag: string) => {
      const found: string[] = [];
      for (let n = 0; found.length < count; n++)
        if ((partition === 0) === (partitionOf(`${tag}${n}`, PARTITIONS) === 0))
          found.push(`${tag}${n}`);
      return found;
    };
    const tallies = { durable: newTally(), plain: newTally(), elsewhere: newTally() };
    let appending = true;
    let outageAppendsElsewhere = 0;
    let outage = false;
    const appender = async (id: string, tally: Tally, options: AppendOptions) => {
      const stream = `account-${id}`;
      let version = 0;
      while (appending) {
        const eventId = `${stream}:${version + 1}`;
        try {
          const result = await store.append(
            stream,
            [{ id: eventId, type: "Deposited", data: { amount: 1 } }],
            { ...options, expectedVersion: version },
          );
          if (result.duplicate) tally.duplicateReplies++;
          version = result.nextExpectedVersion;
          tally.acknowledged.set(stream, version);
          if (outage && tally === tallies.elsewhere) outageAppendsElsewhere++;
        } catch (error) {
          if (isReplicationTimeoutError(error)) {
            // Stored on the (new) primary, but no replica confirmed it: not acknowledged as durable.
            tally.unconfirmed++;
            version = error.result.nextExpectedVersion;
          } else if (isConcurrencyError(error) && error.actualVersion < version) {
            // The stream went back in time: an acknowledged append was lost in the failover.
            tally.lostDetected += version - error.actualVersion;
            version = error.actualVersion;
          } else {
            tally.errorsRetried++;
            await sleep(50);
          }
        }
      }
    };
    const durable = { durability: { replicas: 1, timeoutMs: 500 } };
    const work = [
      ...ids(0, 12, "d").map((id) => appender(id, tallies.durable, durable)),
      ...ids(0, 12, "p").map((id) => appender(id, tallies.plain, {})),
      ...ids(1, 8, "e").map((id) => appender(id, tallies.elsewhere, {})),
    ];

    // When the victim is killed mid-load, and its replica takes over
    await sleep(1500);
    const killedAt = performance.now();
    outage = true;
    victim.process.kill("SIGKILL");
    let newOwner: number | undefined;
    while (performance.now() - killedAt < 30_000) {
      newOwner = await ownerOf(slot, cluster.nodes);
      if (newOwner !== undefined && newOwner !== victim.port) break;
      await sleep(100);
    }
    const failoverMs = Math.round(performance.now() - killedAt);
    outage = false;
    const before = sumAcknowledged(tallies.plain) + sumAcknowledged(tallies.durable);
    await sleep(2000);
    appending = false;
    await Promise.all(work);
    const after = sumAcknowledged(tallies.plain) + sumAcknowledged(tallies.durable);

    // Then the replica owns the slot, and appends to the victim's partition went on after it
    expect(newOwner).toBe(cluster.nodes.find((node) => node.primaryId === victim.id)?.port);
    expect(after).toBeGreaterThan(before);
    // ... every stream holds exactly versions 1..n with the ids "<stream>:<v>": no duplicate
    const report: Record<string, unknown> = { failoverMs, outageAppendsElsewhere };
    for (const [name, tally] of Object.entries(tallies)) {
      let storedEvents = 0;
      let duplicatedEvents = 0;
      let lostAcknowledged = tally.lostDetected;
      for (const [stream, acknowledgedVersion] of tally.acknowledged) {
        const stored: string[] = [];
        for await (const event of store.read(stream)) stored.push(event.id);
        storedEvents += stored.length;
        duplicatedEvents += stored.length - new Set(stored).size;
        expect(stored).toEqual(stored.map((_, index) => `${stream}:${index + 1}`));
        // an acknowledged version the stream no longer reaches was lost at the very end
        lostAcknowledged += Math.max(0, acknowledgedVersion - stored.length);
      }
      report[name] = {
        acknowledged: sumAcknowledged(tally),
        storedEvents,
        lostAcknowledged,
        duplicatedEvents,
        duplicateReplies: tally.duplicateReplies,
        errorsRetried: tally.errorsRetried,
        unconfirmedDurability: tally.unconfirmed,
      };
      if (name === "durable") expect(lostAcknowledged).toBe(0);
    }
    console.log(`[failover] ${JSON.stringify(report)}`);

    // ... and the runner ends with a read model equal to the streams
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 60_000 });
    for (const tally of Object.values(tallies)) {
      const streams = [...tally.acknowledged.keys()];
      const documents = await runner.getMany(streams);
      for (const [index, stream] of streams.entries()) {
        expect(documents[index], stream).toEqual({
          count: await store.version(stream),
          lastVersion: await store.version(stream),
          violations: 0,
        });
      }
    }
    await runner.stop();
    await runnerClient.quit();
    await redis.quit();
  }, 120_000);
});

function newTally(): Tally {
  return {
    acknowledged: new Map(),
    duplicateReplies: 0,
    errorsRetried: 0,
    unconfirmed: 0,
    lostDetected: 0,
  };
}

function sumAcknowledged(tally: Tally): number {
  let sum = 0;
  for (const version of tally.acknowledged.values()) sum += version;
  return sum;
}
