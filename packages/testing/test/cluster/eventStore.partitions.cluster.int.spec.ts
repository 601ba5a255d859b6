import { randomUUID } from "node:crypto";
import { defineEvents, type EventStore, getRedisEventStore, silentLogger } from "@streamstore/core";
import { partitionOf } from "@streamstore/core/internal";
import type { RedisClusterHandle } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

const events = defineEvents({
  Opened: z.object({ owner: z.string() }),
  Deposited: z.object({ amount: z.number() }),
});
const PARTITIONS = 8;

let cluster: RedisClusterHandle;
let redis: Cluster;
beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 1 });
  redis = new Cluster(cluster.startupNodes);
}, 300_000);
afterAll(async () => {
  if (redis) {
    await deleteKeys(redis, "dist:*");
    await deleteKeys(redis, "crossslot:*");
    await redis.quit();
  }
  await cluster?.stop();
});

/** slot -> port of the primary serving it, from CLUSTER SLOTS. */
async function slotOwners(): Promise<(slot: number) => number> {
  const ranges = (await redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
  return (slot) => {
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`slot ${slot} is not served`);
    return Number(range[2][1]);
  };
}

const keySlot = async (key: string) => Number(await redis.call("CLUSTER", "KEYSLOT", key));

function newStore(prefix: string): EventStore<typeof events> {
  return getRedisEventStore({
    redis,
    events,
    prefix,
    partitions: PARTITIONS,
    logger: silentLogger,
  });
}

describe("getRedisEventStore on a Redis Cluster", () => {
  it("spreads the 8 partitions of one category over all 3 primaries, each partition's keys on one slot", async () => {
    // Given aggregate ids chosen so that every partition gets three of them
    const store = newStore("dist");
    const idsByPartition = new Map<number, string[]>();
    for (
      let n = 0;
      [...idsByPartition.values()].filter((ids) => ids.length >= 3).length < PARTITIONS;
      n++
    ) {
      const id = `a${n}`;
      const ids = idsByPartition.get(partitionOf(id, PARTITIONS)) ?? [];
      if (ids.length < 3) idsByPartition.set(partitionOf(id, PARTITIONS), [...ids, id]);
    }
    // When each gets events and a snapshot
    for (const ids of idsByPartition.values()) {
      for (const id of ids) {
        const result = await store.append(`account-${id}`, [
          { type: "Opened", data: { owner: id } },
          { type: "Deposited", data: { amount: 1 } },
        ]);
        await store.writeSnapshot(`account-${id}`, {
          version: result.nextExpectedVersion,
          eventId: "x",
          schemaVersion: 1,
          state: {},
        });
      }
    }
    // Then every key of a partition (indexes, snapshots, its log) is on one slot ...
    const owner = await slotOwners();
    const rows: { partition: number; tag: string; slot: number; port: number; keys: number }[] = [];
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const ids = idsByPartition.get(partition) ?? [];
      const keys = [store.keys.log("account", partition)];
      for (const id of ids) {
        const location = await store.locate(`account-${id}`);
        expect(location.partition).toBe(partition);
        keys.push(location.indexKey, location.snapshotKey);
      }
      const slots = new Set(await Promise.all(keys.map(keySlot)));
      expect(slots.size, `partition ${partition}: ${keys.join(", ")}`).toBe(1);
      const slot = [...slots][0] as number;
      // ... and really stored on the primary that owns that slot
      const port = owner(slot);
      const direct = new Redis(port, "127.0.0.1");
      expect(await direct.exists(...keys.map((key) => key))).toBe(keys.length);
      direct.disconnect();
      rows.push({
        partition,
        tag: store.keys.tag("account", partition),
        slot,
        port,
        keys: keys.length,
      });
    }
    // ... and all three primaries own some partition of the category
    const primaries = cluster.nodes
      .filter((node) => node.role === "primary")
      .map((node) => node.port);
    const ownersSeen = new Set(rows.map((row) => row.port));
    expect([...ownersSeen].sort()).toEqual([...primaries].sort());
    const perNode = primaries.map(
      (port) =>
        `127.0.0.1:${port} owns ${rows
          .filter((row) => row.port === port)
          .map((row) => row.partition)
          .join(",")}`,
    );
    console.log(
      [
        "partition | hash tag            | slot  | primary          | keys",
        ...rows.map(
          (row) =>
            `${String(row.partition).padEnd(9)} | ${row.tag.padEnd(19)} | ${String(row.slot).padEnd(5)} | 127.0.0.1:${String(row.port).padEnd(6)} | ${row.keys}`,
        ),
        ...perNode,
      ].join("\n"),
    );
  });

  it("never hits CROSSSLOT: 5,000 appends with random ids over 8 partitions all succeed", async () => {
    // Given a store over 8 partitions and 5,000 random aggregate ids
    const store = newStore("crossslot");
    const ids = Array.from({ length: 5_000 }, () => randomUUID());
    const perPartition = new Array<number>(PARTITIONS).fill(0);
    const errors: unknown[] = [];
    // When 32 appenders write them (batches of 1-3 events, some with metadata), each then read back
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          const size = 1 + (next % 3);
          try {
            const result = await store.append(
              `account-${id}`,
              Array.from({ length: size }, (_, k) => ({
                type: "Deposited" as const,
                data: { amount: k + 1 },
                ...(k === 1 ? { metadata: { k } } : {}),
              })),
              { expectedVersion: "no_stream" },
            );
            perPartition[result.partition] = (perPartition[result.partition] ?? 0) + 1;
            if (next % 50 === 0) {
              expect(await store.version(`account-${id}`)).toBe(size);
              await store.writeSnapshot(`account-${id}`, {
                version: size,
                eventId: "x",
                schemaVersion: 1,
                state: {},
              });
            }
          } catch (error) {
            errors.push(error);
          }
        }
      }),
    );
    // Then none failed, and every partition's log holds its events
    expect(errors.map(String).slice(0, 3)).toEqual([]);
    expect(perPartition.reduce((sum, count) => sum + count, 0)).toBe(5_000);
    expect(perPartition.every((count) => count > 400)).toBe(true);
    let logged = 0;
    for (let partition = 0; partition < PARTITIONS; partition++)
      logged += await redis.xlen(store.keys.log("account", partition));
    expect(logged).toBe(ids.reduce((sum, _, index) => sum + 1 + ((index + 1) % 3), 0));
    console.log(`appends per partition: ${perPartition.join(", ")}`);
  });
});
