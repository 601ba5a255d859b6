import { describe, expect, it } from "vitest";
import { createFakeRedis, createManualClock } from "../../src/index.js";
import { expectGuideOutput, runGuide } from "./support/redisStreamsGuide.js";

// The Redis Streams guide's examples on the fake; redisStreamsGuide.int.spec.ts runs them on Redis.

describe("Redis Streams guide on the in-memory fake", () => {
  it("prints what the guide's examples print, ids included (manual clock)", async () => {
    // Given
    const clock = createManualClock(1_700_000_000_000);
    const redis = createFakeRedis({ clock });
    // When
    const run = await runGuide(
      redis,
      (name) => name,
      async (ms) => clock.advance(ms),
      60_000,
    );
    // Then
    expectGuideOutput(run);
    expect(run.creation.slice(0, 3)).toEqual([
      "Added event with ID: 1700000000000-0",
      "Added event with ID: 1700000000000-1",
      "Added event with ID: 1700000000000-2",
    ]);
    expect(run.creation.at(-1)).toBe("Latest 2 entries: 1700000000000-2, 1700000000000-1");
    expect(run.information).toEqual([
      "Stream info: length=6, groups=1, last-generated-id=1700000000000-5",
      "Consumer groups:",
      "  Group: processors, Consumers: 3, Pending: 0",
      "Consumers in 'processors' group:",
      "  Consumer: recovery_worker, Pending: 0, Idle: 0ms",
      "  Consumer: worker_1, Pending: 0, Idle: 60000ms",
      "  Consumer: worker_2, Pending: 0, Idle: 60000ms",
      "Trimmed 0 messages from stream",
      "Trimmed 4 messages from stream (exact MAXLEN 2)",
    ]);
    expect(run.recovery[1]).toBe(
      "Message 1700000000000-2 pending for 60000ms (delivered 1 times to worker_2)",
    );
    redis.disconnect();
  });
});
