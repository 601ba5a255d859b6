import { defineEvents, getRedisEventStore } from "@streamstore/core";
import { createFakeRedis } from "@streamstore/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

// store.read costs one read-script call (one round trip) per page: a page that ends exactly at
// the stream's version is the last, with no second call that would come back empty.

const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });

async function tenEventStream() {
  const redis = createFakeRedis();
  const store = getRedisEventStore({ redis, events, serverCheck: "off" });
  await store.append(
    "account-1",
    Array.from({ length: 10 }, (_, index) => ({
      type: "Deposited" as const,
      data: { amount: index },
    })),
  );
  return { redis, store };
}

describe("getRedisEventStore", () => {
  it("reads a stream in one script call per page, and none past its version", async () => {
    // Given a stream of 10 events
    const { redis, store } = await tenEventStream();
    const callsFor = async (options: Parameters<typeof store.read>[1]) => {
      const before = redis.scriptRunCounts();
      const versions: number[] = [];
      for await (const event of store.read("account-1", options)) versions.push(event.version);
      const after = redis.scriptRunCounts();
      return { versions, calls: after.twin + after.lua - before.twin - before.lua };
    };
    // When it is read in pages that end exactly at its version, or not
    // Then each page is one call, and a full last page is not followed by an empty one
    expect(await callsFor({ pageSize: 10 })).toMatchObject({ calls: 1 });
    expect(await callsFor({ pageSize: 5 })).toMatchObject({ calls: 2 });
    expect(await callsFor({ pageSize: 4 })).toMatchObject({ calls: 3 });
    expect(await callsFor({ direction: "backward", pageSize: 5 })).toMatchObject({ calls: 2 });
    expect(await callsFor({ from: 6, pageSize: 5 })).toMatchObject({
      calls: 1,
      versions: [6, 7, 8, 9, 10],
    });
  });
});
