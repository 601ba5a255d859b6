import { silentLogger } from "@streamstore/core";
import { projectionKeys } from "@streamstore/projections/internal";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { balances } from "../../../examples/bank-account/src/balances.js";
import { catchUp } from "./support/catchUp.js";
import {
  CONFIG,
  deleteKeysUnder,
  finished,
  randomPrefix,
  runCli,
  startCli,
} from "./support/cli.js";
import { seedBankExample } from "./support/seedBankExample.js";

// Issue 7: `projections rebuild` shows its progress, survives Ctrl-C and resumes the same build
// from its checkpoints when run again, ending with readers on the new build.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("rebuild");
const keys = projectionKeys(prefix, "balances");
let redis: Redis;
let eventsInLog = 0;

// Both runs are the same command (that is what resumes), differing only in how they report.
const rebuildArgs = (...args: string[]) => [
  ...["projections", "rebuild", "balances", "--yes", "--config", CONFIG, "--prefix", prefix],
  ...args,
];

async function documents(build: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(
      cursor,
      "MATCH",
      `${keys.tag(build)}:doc:*`,
      "COUNT",
      1000,
    );
    cursor = next;
    if (batch.length === 0) continue;
    const values = await redis.mget(...batch);
    batch.forEach((key, index) => {
      // The revision counts commits, which differ with batch sizes: compare the state only.
      const value = values[index] ?? "";
      found.set(key.slice(key.indexOf(":doc:")), value.slice(value.indexOf(":") + 1));
    });
  } while (cursor !== "0");
  return found;
}

beforeAll(async () => {
  // 50,000 more events on 500 accounts, so that a rebuild takes long enough to interrupt.
  const seeded = await seedBankExample({ redisUrl, prefix, history: { accounts: 500 } });
  redis = seeded.redis;
  eventsInLog = seeded.summary.finalVersion + 2 + 50_000;
  // The current build v1, caught up by a runner of the test.
  await catchUp(balances, { redis, prefix, logger: silentLogger, batchSize: 2000 });
}, 120_000);

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

describe("streamstore projections rebuild", () => {
  it("prints progress, stops cleanly on Ctrl-C with exit code 130, and resumes the same build from where it stopped", async () => {
    // Given the balances projection caught up in build v1 over 50,000+ events
    const before = await documents("v1");
    expect(before.size).toBe(502);

    // When a rebuild with small batches is interrupted once past 10%
    const child = startCli(rebuildArgs("--interval", "100"), {
      REDIS_URL: redisUrl,
      STREAMSTORE_TEST_BATCH_SIZE: "10",
    });
    const first = finished(child);
    let interruptedAt = 0;
    child.stderr?.on("data", (chunk: Buffer) => {
      for (const match of chunk
        .toString()
        .matchAll(/progress balances v1\.1: (\d+)\/(\d+) events/g)) {
        if (interruptedAt === 0 && Number(match[1]) > 0.1 * Number(match[2])) {
          interruptedAt = Number(match[1]);
          child.kill("SIGINT");
        }
      }
    });
    const interrupted = await first;
    const generationAfterFirst = await redis.get(keys.generation(1));
    const activeAfterFirst = await redis.get(keys.active());

    // And the same command runs again
    const resumed = await runCli(rebuildArgs("--json"), {
      REDIS_URL: redisUrl,
      STREAMSTORE_TEST_BATCH_SIZE: "500",
    });

    // Then the first run stopped with its message, past 10%, readers still on v1
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain(
      'Rebuilding "balances" into build v1.1 from the first event',
    );
    const stopped =
      /interrupted at (\d+) of (\d+) events of build v1\.1; run the same command again to resume/.exec(
        interrupted.stderr,
      );
    expect(stopped).not.toBeNull();
    const stoppedAt = Number(stopped?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(interruptedAt);
    expect(stoppedAt).toBeLessThan(eventsInLog);
    expect(Number(stopped?.[2])).toBe(eventsInLog);
    expect(activeAfterFirst).toBe("v1");
    // And the second run resumed v1.1 (no new generation) from where the first stopped, not from 0
    expect(generationAfterFirst).toBe("1");
    expect(await redis.get(keys.generation(1))).toBe("1");
    expect(resumed.code).toBe(0);
    const resumedAt =
      /Resuming the rebuild of "balances" into build v1\.1 at (\d+) of (\d+) events/.exec(
        resumed.stderr,
      );
    expect(Number(resumedAt?.[1])).toBe(stoppedAt);
    const progress = resumed.stderr
      .split("\n")
      .filter((line) => line.startsWith('{"progress"'))
      .map(
        (line) => (JSON.parse(line) as { progress: { applied: number; total: number } }).progress,
      );
    expect(progress[0]?.applied).toBeGreaterThanOrEqual(stoppedAt);
    const summary = JSON.parse(resumed.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      projection: "balances",
      build: "v1.1",
      status: "done",
      previousBuild: "v1",
      applied: eventsInLog,
      total: eventsInLog,
      appliedThisRun: eventsInLog - stoppedAt,
      activeBuild: "v1.1",
    });
    // And readers are on v1.1, whose documents equal v1's
    expect(await redis.get(keys.active())).toBe("v1.1");
    expect(await documents("v1.1")).toEqual(before);
  });
});
