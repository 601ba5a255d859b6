import { describe, expect, it } from "vitest";
import { runSoak } from "../../../benchmarks/soak/runSoak.js";

// Issue 8 (faults): the CI-sized version of `pnpm bench:soak` (benchmarks/soak.bench.ts, 10
// minutes): the same run, 40 s long with one worker process SIGKILLed.
describe("startProjection in worker processes under steady appends (short soak)", () => {
  it("ends with the read model of a clean replay after 40 s of appends with a worker killed, lag and worker memory bounded", async () => {
    // Given 3 worker processes and a producer appending 150 events/s
    // When a worker is SIGKILLed (process group) after 25 s and restarted
    const result = await runSoak({
      durationMs: 40_000,
      killEveryMs: 25_000,
      sampleEveryMs: 1_000,
      rate: 150,
      partitions: 4,
      accounts: 500,
    });

    // Then the read model equals the reference fold of the logs, with nothing lost or reordered
    const lags = result.samples.map((sample) => sample.lag);
    const rss = result.samples.flatMap((sample) =>
      sample.rssMb.filter((value): value is number => value !== null),
    );
    console.info(
      `[soak-ci] ${result.events} events, ${result.kills.length} kill(s), max lag ${Math.max(...lags)}, max worker RSS ${Math.max(...rss)} MB, caught up ${result.finalCatchUpMs} ms after the last append`,
    );
    expect(result.kills).toHaveLength(1);
    expect(result.events).toBeGreaterThan(4_000);
    expect(result.mismatches).toBe(0);
    expect(result.violations).toBe(0);
    expect(result.deadLetters).toBe(0);
    // And the lag and the workers' memory stay bounded (generous bounds: CI has 2 shared cores)
    expect(Math.max(...lags)).toBeLessThan(150 * 10);
    // (slot 0 is never killed and reports its RSS every second: every sample after its start-up
    // carries a reading, so the bound below is never checked against no reading at all)
    const survivorRss = result.samples.slice(5).map((sample) => sample.rssMb[0]);
    expect(survivorRss.length).toBeGreaterThan(20);
    expect(survivorRss.filter((value) => typeof value !== "number")).toEqual([]);
    expect(Math.max(...rss)).toBeLessThan(400);
  }, 90_000);
});
