import { randomBytes } from "node:crypto";
import { getProjectionStatus } from "@streamstore/projections";
import { deleteKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { runLive } from "../src/live.js";
import { viewsPerMinute, viewsPerPath } from "../src/pageViews.js";

describe("runLive", () => {
  const redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 3 });
  const prefix = `analytics-live-${randomBytes(4).toString("hex")}`;

  afterEach(async () => {
    // The live mode keeps its keys on purpose; the test deletes the ones it made.
    await deleteKeys(redis, `${prefix}:*`);
  });

  afterAll(async () => {
    await redis.quit();
  });

  it("appends at the given rate while producing alone, keeps its keys, and a later run's projections catch up on them", async () => {
    // Given a run that only produces, 100 views/s for 1.5 s
    const lines: string[] = [];
    const produced = await runLive({
      redisUrl: inject("redisUrl"),
      prefix,
      rate: 100,
      projections: false,
      durationMs: 1500,
      print: (line) => lines.push(line),
    });

    // Then about 150 views were appended and are still there, with both projections behind
    expect(produced.appended).toBeGreaterThanOrEqual(100);
    expect(produced.appended).toBeLessThanOrEqual(160);
    expect(lines.at(-1)).toContain(`stopped after ${produced.appended} page views`);
    const behind = await getProjectionStatus(viewsPerPath, { redis, prefix });
    expect(behind.partitions.reduce((sum, partition) => sum + partition.lag, 0)).toBe(
      produced.appended,
    );

    // When a run with projections and no traffic starts, and is stopped
    const controller = new AbortController();
    const running = runLive({
      redisUrl: inject("redisUrl"),
      prefix,
      rate: 0,
      signal: controller.signal,
      print: (line) => {
        if (line.startsWith("live: prefix")) controller.abort();
      },
    });
    expect(await running).toEqual({ appended: 0 });

    // Then both projections had caught up on every kept view before it said it was live
    for (const projection of [viewsPerMinute, viewsPerPath]) {
      const status = await getProjectionStatus(projection, { redis, prefix });
      expect(status.partitions.map((partition) => partition.lag)).toEqual([0, 0]);
      expect(status.partitions.reduce((sum, partition) => sum + partition.applied, 0)).toBe(
        produced.appended,
      );
    }
  });
});
