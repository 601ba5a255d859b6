import { randomBytes } from "node:crypto";
import { deleteKeys } from "@streamstore/testing/contract";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type AggregatePageRequest,
  defineEvents,
  getRedisEventStore,
  readAggregatePage,
  type StreamLocation,
  silentLogger,
} from "../src/index.js";
import { READ_XREAD_ABOVE } from "../src/internal.js";
import { REDIS_TARGETS } from "./support/redisTargets.js";

// A page of more than READ_XREAD_ABOVE versions gets its positions from the read script and its
// entries from one XREAD (issue 12, the read's Redis time). It must give exactly the page the
// script's own lookups give, in every direction and bound, and when an entry leaves the log
// between the two round trips (the archiver trims it, or it is deleted), read the page again in
// one atomic call rather than return another entry or a gap. On a real redis-server and on the
// in-memory fake, with core's script twins and in Lua.

const events = defineEvents({ Deposited: z.object({ amount: z.number().int() }) });
const STREAMS = ["acct-1", "acct-2", "acct-3"] as const;
const EVENTS_PER_STREAM = 40;

/** The client, its commands recorded, and `beforeXread` run before each XREAD is sent. */
function recording(redis: Redis) {
  const commands: string[] = [];
  const hooks: { beforeXread?: () => Promise<void> } = {};
  const client = new Proxy(redis, {
    get(target, property, receiver) {
      if (property !== "call") return Reflect.get(target, property, receiver);
      return async (command: string, ...args: unknown[]) => {
        commands.push(command.toUpperCase());
        if (command.toUpperCase() === "XREAD" && hooks.beforeXread) {
          const hook = hooks.beforeXread;
          hooks.beforeXread = undefined;
          await hook();
        }
        return (target.call as (...all: unknown[]) => Promise<unknown>)(command, ...args);
      };
    },
  });
  return { client, commands, hooks };
}

describe.each(REDIS_TARGETS)("readAggregatePage's XREAD on $name", (target) => {
  let redis: Redis;
  const prefix = `xr-${randomBytes(6).toString("hex")}`;
  const locations = new Map<string, StreamLocation>();

  beforeAll(async () => {
    redis = target.open();
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    // Interleaved, one event or a batch of three at a time: each aggregate's entries are spread
    // over the log, some of them adjacent.
    let amount = 0;
    for (let round = 0; round < EVENTS_PER_STREAM / 4; round++) {
      for (const name of STREAMS) {
        await store.append(name, [{ type: "Deposited", data: { amount: amount++ } }]);
        await store.append(
          name,
          [1, 2, 3].map(() => ({ type: "Deposited" as const, data: { amount: amount++ } })),
        );
      }
    }
    for (const name of STREAMS) locations.set(name, await store.locate(name));
  });

  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });

  const location = (name: string) => locations.get(name) as StreamLocation;

  it("gives the page the script's own lookups give, in every direction and bound", async () => {
    // Given requests of pages above and below the threshold, forward and backward
    const requests: Omit<AggregatePageRequest, "xreadAbove">[] = [];
    for (const count of [1, READ_XREAD_ABOVE, READ_XREAD_ABOVE + 1, 25, 1000]) {
      for (const [start, stop] of [
        [1, 0],
        [3, 0],
        [5, 31],
        [40, 0],
        [41, 0],
      ] as const) {
        requests.push({ direction: "forward", start, stop, count });
      }
      for (const [start, stop] of [
        [0, 0],
        [0, 7],
        [33, 2],
        [1, 1],
        [99, 0],
      ] as const) {
        requests.push({ direction: "backward", start, stop, count });
      }
    }
    const { client, commands } = recording(redis);
    for (const name of STREAMS) {
      for (const request of requests) {
        // When each is read both ways, and the default way
        const inScript = await readAggregatePage(client, location(name), {
          ...request,
          xreadAbove: Number.POSITIVE_INFINITY,
        });
        const throughXread = await readAggregatePage(client, location(name), {
          ...request,
          xreadAbove: 0,
        });
        const byDefault = await readAggregatePage(client, location(name), request);
        // Then the pages are the same
        const what = `${name} ${JSON.stringify(request)}`;
        expect(throughXread, what).toEqual(inScript);
        expect(byDefault, what).toEqual(inScript);
        // and hold whole entries of their own versions
        for (const { version, entry } of inScript.entries) {
          expect(entry[1], what).toContain(String(version));
        }
      }
    }
    // And XREAD did the work of the larger pages (never an atomic re-read: nothing changed)
    const xreads = commands.filter((command) => command === "XREAD").length;
    const scriptCalls = commands.filter((command) => command === "FCALL_RO").length;
    expect(xreads).toBeGreaterThan(STREAMS.length * requests.length);
    expect(scriptCalls).toBe(3 * STREAMS.length * requests.length);
  });

  it("reads the page again in one atomic call when an entry leaves the log between the round trips", async () => {
    const request = { direction: "forward", start: 1, stop: 0, count: 1000 } as const;
    for (const removal of ["XDEL", "XTRIM"] as const) {
      // Given a stream of this target of its own, and the page before anything is removed
      const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
      const name = `acct-${removal.toLowerCase()}`;
      for (let version = 0; version < 30; version++) {
        await store.append(name, [{ type: "Deposited", data: { amount: version } }]);
      }
      const where = await store.locate(name);
      const before = await readAggregatePage(redis, where, request);
      expect(before.entries).toHaveLength(30);
      const removed = removal === "XDEL" ? [5] : [0, 1, 2, 3];
      const { client, commands, hooks } = recording(redis);
      // When entries leave the log after the script answered the positions, before the XREAD
      hooks.beforeXread = async () => {
        if (removal === "XDEL") {
          await redis.xdel(where.logKey, before.entries[5]?.entry[0] as string);
        } else {
          await redis.xtrim(where.logKey, "MINID", before.entries[4]?.entry[0] as string);
        }
      };
      const page = await readAggregatePage(client, where, request);
      // Then the page is the one an atomic read gives now: the removed versions as positions
      // without fields, every other entry as it was
      expect(commands).toEqual(["FCALL_RO", "XREAD", "FCALL_RO"]);
      expect(page).toEqual({
        ...before,
        entries: before.entries.map((item, index) =>
          removed.includes(index) ? { ...item, entry: [item.entry[0], null] } : item,
        ),
      });
      expect(page).toEqual(
        await readAggregatePage(redis, where, { ...request, xreadAbove: Number.POSITIVE_INFINITY }),
      );
    }
  });
});
