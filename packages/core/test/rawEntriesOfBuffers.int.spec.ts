import { afterAll, describe, expect, it } from "vitest";
import { rawEntriesOfBuffers } from "../src/store/rawEntriesOfBuffers.js";
import { REDIS_TARGETS } from "./support/redisTargets.js";

// Partition reads fetch their pages as Buffers and convert them themselves (cheaper than
// ioredis's conversion on the catch-up's hot path): the strings must be exactly the ones ioredis
// gives for the same entries, whatever their bytes.

const bytes = (...values: number[]) => Buffer.from(values);

/** Field/value pairs with every kind of byte sequence a stream can hold. */
const ENTRIES: (string | Buffer)[][] = [
  ["a", "42", "v", "1", "i", "6f1c", "t", "Deposited", "d", '{"amount":1}'],
  ["d", '{"note":"héllo ✓ 😀"}', "m", "{}", "s", "2"],
  ["", "", "é", "one two-byte name", "ab", "two bytes"],
  [bytes(0xff), "a lone invalid byte as the name", bytes(0x7f), bytes(0x00)],
  [bytes(0x80), bytes(0xc3, 0x28), "x", bytes(0xe2, 0x82), "😀", bytes(0xf0, 0x9f, 0x98)],
];

describe.each(REDIS_TARGETS.slice(0, 2))("rawEntriesOfBuffers on $name", (target) => {
  const redis = target.open();
  const key = `t:rawEntriesOfBuffers:${process.pid}:${target.name}`;
  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it("gives the strings ioredis gives for the same entries, byte for byte", async () => {
    // Given entries with ASCII, multi-byte, invalid UTF-8 and empty names and values
    for (const fields of ENTRIES) await redis.xadd(key, "*", ...fields);

    // When the stream is read as strings by ioredis, and as Buffers converted here
    const expected = await redis.xrange(key, "-", "+");
    const converted = rawEntriesOfBuffers(await redis.xrangeBuffer(key, "-", "+"));

    // Then both are the same, replacement characters included
    expect(converted).toEqual(expected);
    expect(converted).toHaveLength(ENTRIES.length);
    expect(converted[3]?.[1]?.[0]).toBe("\uFFFD");
  });
});

describe("rawEntriesOfBuffers", () => {
  it("keeps a deleted entry's null fields, and an empty page empty", () => {
    expect(rawEntriesOfBuffers([])).toEqual([]);
    expect(rawEntriesOfBuffers([[Buffer.from("1-1"), null]])).toEqual([["1-1", null]]);
  });
});
