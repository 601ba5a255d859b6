import { createFakeRedis } from "@streamstore/testing";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { ConsumerGroupReader } from "../src/consumer/ConsumerGroupReader.js";

// Without Redis: the in-memory fake stands in for it.

async function readerWithPending(count: number) {
  const redis = createFakeRedis() as unknown as Redis;
  const reader = new ConsumerGroupReader({
    redis,
    logKey: "log",
    group: "g",
    consumer: "c",
    connectionName: "test",
    signal: new AbortController().signal,
  });
  await reader.createGroup("0");
  for (let i = 1; i <= count; i++) await redis.xadd("log", `${i}-0`, "n", String(i));
  const entries = await reader.readNew(count, 0);
  return { redis, reader, ids: entries.map(([id]) => id) };
}

const pendingCount = async (redis: Redis) =>
  Number(((await redis.xpending("log", "g")) as unknown[])[0]);

describe("ConsumerGroupReader.ackInBackground", () => {
  it("returns before the ack's reply, and acksSettled waits for it", async () => {
    // Given three entries delivered to the consumer, pending
    const { redis, reader, ids } = await readerWithPending(3);
    expect(await pendingCount(redis)).toBe(3);
    // When two are acked in the background
    const returned = reader.ackInBackground(ids.slice(0, 2));
    // Then the call returned nothing to wait for, and once the acks settled one entry is pending
    expect(returned).toBeUndefined();
    await reader.acksSettled();
    expect(await pendingCount(redis)).toBe(1);
    reader.close();
  });

  it("swallows a failed ack: the entries stay pending for the next claim", async () => {
    // Given a pending entry, and a log that is no longer a stream (XACK answers WRONGTYPE)
    const { redis, reader, ids } = await readerWithPending(1);
    await redis.del("log");
    await redis.set("log", "not a stream");
    // When it is acked in the background
    reader.ackInBackground(ids);
    // Then acksSettled resolves all the same (a failed ack is not an error of the batch)
    await expect(reader.acksSettled()).resolves.toBeUndefined();
    reader.close();
  });

  it("sends nothing for no ids", async () => {
    // Given a reader
    const { redis, reader, ids } = await readerWithPending(1);
    const sent: string[] = [];
    const original = redis.xack.bind(redis);
    (redis as unknown as { xack: unknown }).xack = (...args: Parameters<Redis["xack"]>) => {
      sent.push(String(args[0]));
      return original(...args);
    };
    // When no ids are acked in the background
    reader.ackInBackground([]);
    await reader.acksSettled();
    // Then no XACK went out, and the entry is still pending
    expect(sent).toEqual([]);
    expect(await pendingCount(redis)).toBe(1);
    // (while acking the entry does send one, through the same method)
    reader.ackInBackground(ids);
    await reader.acksSettled();
    expect(sent).toEqual(["log"]);
    expect(await pendingCount(redis)).toBe(0);
    reader.close();
  });
});
