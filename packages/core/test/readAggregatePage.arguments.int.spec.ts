import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isInvalidArgumentError, readAggregatePage } from "../src/index.js";

// The read script does arithmetic on start, stop and count: a fraction or a negative number
// would read records at the wrong offsets and answer made-up positions. They are refused first.

let redis: Redis;
const location = {
  streamName: "cart-1",
  indexKey: "nothing:{cart:0}:i:1",
  logKey: "nothing:{cart:0}:log",
};

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});

afterAll(async () => {
  await redis.quit();
});

describe("readAggregatePage", () => {
  it("refuses a start, stop, count or xreadAbove that is not a whole number in range, and a bad direction", async () => {
    // Given a valid request
    const valid = { direction: "forward", start: 1, stop: 0, count: 10 } as const;
    expect(await readAggregatePage(redis, location, valid)).toEqual({
      version: 0,
      archived: 0,
      entries: [],
    });
    // When each field is made invalid, Then each is a typed error naming it
    const cases: [string, Record<string, unknown>][] = [
      ["start", { start: 1.5 }],
      ["start", { start: -3 }],
      ["stop", { stop: Number.NaN }],
      ["count", { count: 0 }],
      ["count", { count: 2 ** 53 }],
      ["direction", { direction: "sideways" }],
      ["xreadAbove", { xreadAbove: -1 }],
      ["xreadAbove", { xreadAbove: 2.5 }],
      ["xreadAbove", { xreadAbove: Number.NaN }],
    ];
    for (const [argument, change] of cases) {
      const error = await readAggregatePage(redis, location, { ...valid, ...change } as never).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isInvalidArgumentError(error), `${argument}: ${JSON.stringify(change)}`).toBe(true);
      expect(error).toMatchObject({ argument });
    }
  });
});
