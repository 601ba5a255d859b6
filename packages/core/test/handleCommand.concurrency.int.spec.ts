import {
  type Decider,
  defineEvents,
  type EventOf,
  getRedisEventStore,
  handleCommand,
  silentLogger,
} from "@streamstore/core";
import { partitionOf } from "@streamstore/core/internal";
import { indexPositions } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";

const events = defineEvents({ Counted: z.object({ writer: z.number(), seq: z.number() }) });
type CounterEvent = EventOf<typeof events>;
type Count = { writer: number; seq: number };
const counter: Decider<{ count: number }, Count, CounterEvent> = {
  initialState: () => ({ count: 0 }),
  evolve: (state) => {
    state.count += 1;
  },
  decide: (command) => [{ type: "Counted", data: command }],
};

const WRITERS = 64;
const prefix = `conc-${Date.now().toString(36)}`;
const clients: Redis[] = [];
const raw = new Redis(inject("redisUrl"));

afterAll(async () => {
  for (const client of clients) client.disconnect();
  let cursor = "0";
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await raw.del(...keys);
  } while (cursor !== "0");
  await raw.quit();
});

function fieldsOf(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  return map;
}

// Each writer gets its own connection, so the commands really interleave inside Redis.
function writerStores(partitions: number) {
  return Array.from({ length: WRITERS }, () => {
    const redis = new Redis(inject("redisUrl"));
    clients.push(redis);
    return getRedisEventStore({ redis, events, prefix, partitions, logger: silentLogger });
  });
}

describe("handleCommand", () => {
  it("keeps one hot stream gapless with 64 concurrent writers appending 200 times each", async () => {
    // Given 64 writers on their own connections; snapshots keep each load short, as in
    // production, instead of folding up to 12,800 events per command
    const stores = writerStores(1);
    const snapshotting = { ...counter, snapshot: { every: 50, schemaVersion: 1 } };
    let retries = 0;
    // When each handles 200 commands on the same stream, retrying on conflict
    await Promise.all(
      stores.map(async (store, writer) => {
        for (let seq = 0; seq < 200; seq++) {
          const result = await handleCommand(
            store,
            "counter-hot",
            snapshotting,
            { writer, seq },
            {
              maxRetries: 10_000,
              maxDelayMs: 50,
            },
          );
          retries += result.retries;
        }
      }),
    );
    // Then the stream holds 12,800 events, versions 1..12,800, each command exactly once
    const store = stores[0] ?? expect.unreachable();
    expect(await store.version("counter-hot")).toBe(12_800);
    const seen = new Set<string>();
    let expectedVersion = 1;
    const lastSeq = new Map<number, number>();
    for await (const event of store.read("counter-hot")) {
      expect(event.version).toBe(expectedVersion++);
      const key = `${event.data.writer}/${event.data.seq}`;
      expect(seen.has(key), `duplicate ${key}`).toBe(false);
      seen.add(key);
      // Each writer's commands are sequential, so they land in its own order.
      expect(event.data.seq).toBe((lastSeq.get(event.data.writer) ?? -1) + 1);
      lastSeq.set(event.data.writer, event.data.seq);
    }
    expect(seen.size).toBe(12_800);
    const { logKey } = await store.locate("counter-hot");
    expect(await raw.xlen(logKey)).toBe(12_800);
    expect(retries).toBeGreaterThan(0);
    expect((await store.readSnapshot("counter-hot"))?.state).toEqual({ count: 12_800 });
    if (process.env.STREAMSTORE_REPORT) console.info({ hotStreamRetries: retries });
  }, 240_000);

  it("keeps totals exact with 64 writers over 10,000 streams, each log entry one stream version and each command stored once", async () => {
    // Given 64 writers and 10,000 streams over 4 partitions
    const stores = writerStores(4);
    const STREAMS = 10_000;
    const PER_WRITER = 400;
    // When each writer appends to random streams
    await Promise.all(
      stores.map(async (store, writer) => {
        for (let seq = 0; seq < PER_WRITER; seq++) {
          const stream = `spread-${Math.floor(Math.random() * STREAMS)}`;
          await handleCommand(
            store,
            stream,
            counter,
            { writer, seq },
            { maxRetries: 10_000, maxDelayMs: 20 },
          );
        }
      }),
    );
    // Then every log entry names exactly one (stream, version), and they add up
    const store = stores[0] ?? expect.unreachable();
    const logged = new Map<string, string>();
    for (let partition = 0; partition < 4; partition++) {
      const entries = await raw.xrange(store.keys.log("spread", partition), "-", "+");
      for (const [position, fields] of entries) {
        const map = fieldsOf(fields);
        const id = map.get("a") as string;
        expect(partitionOf(id, 4)).toBe(partition);
        const key = `spread-${id}@${map.get("v")}`;
        expect(logged.has(key), `two log entries for ${key}`).toBe(false);
        logged.set(key, position);
      }
    }
    expect(logged.size).toBe(WRITERS * PER_WRITER);
    let versions = 0;
    const storedAt = new Map<string, string[]>();
    const streams = new Set([...logged.keys()].map((key) => key.split("@")[0] as string));
    // ... and each stream's index names, version by version, that stream's log entries
    for (const stream of streams) {
      const { indexKey } = await store.locate(stream);
      const positions = indexPositions(await raw.getBuffer(indexKey));
      versions += positions.length;
      for (const [index, position] of positions.entries()) {
        expect(logged.get(`${stream}@${index + 1}`)).toBe(position);
      }
      expect(await store.version(stream)).toBe(positions.length);
      // ... and the events it holds are commands, each stored once
      for await (const event of store.read(stream)) {
        const command = `${event.data.writer}/${event.data.seq}`;
        storedAt.set(command, [...(storedAt.get(command) ?? []), `${stream}@${event.version}`]);
      }
    }
    expect(versions).toBe(WRITERS * PER_WRITER);
    // Every (writer, seq) was stored exactly once
    expect([...storedAt].filter(([, places]) => places.length !== 1)).toEqual([]);
    for (let writer = 0; writer < WRITERS; writer++)
      for (let seq = 0; seq < PER_WRITER; seq++)
        expect(storedAt.has(`${writer}/${seq}`), `${writer}/${seq} stored`).toBe(true);
  }, 240_000);
});
