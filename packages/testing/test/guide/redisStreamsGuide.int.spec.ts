import { Redis as RealRedis } from "ioredis";
import { afterAll, describe, inject, it } from "vitest";
import { expectGuideOutput, runGuide } from "./support/redisStreamsGuide.js";

// The Redis Streams guide's examples on Redis; redisStreamsGuide.unit.spec.ts runs them on the fake.

describe("Redis Streams guide on real Redis", () => {
  const redis = new RealRedis(inject("redisUrl"));
  const prefix = `guide-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  afterAll(async () => {
    // Only this run's keys: the server may be shared.
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("prints the same, ids and measured times aside", async () => {
    // When: a real clock cannot skip a minute, so the recovery threshold is 50 ms here
    const run = await runGuide(
      redis,
      (name) => `${prefix}:${name}`,
      (ms) => new Promise((resolve) => setTimeout(resolve, ms + 20)),
      50,
    );
    // Then
    expectGuideOutput(run);
  });
});
