import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisServer, startTcpProxy } from "@streamstore/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startProjection } from "../src/index.js";
import {
  auditAppends,
  readModelMismatches,
  startAcknowledgingProducers,
} from "./support/faultHarness.js";
import { accountsProjection, bankEvents } from "./support/fixtures.js";

const PARTITIONS = 2;
const ROUNDS = 16;
// The recovery bound comes from the settings in play, not from a measured run: ioredis's default
// reconnection backoff tops out at 2,000 ms (its retryStrategy is min(attempt * 50, 2000)), and a
// partition whose lease ran out during a stall is taken again within one lease TTL (LEASE_TTL_MS,
// given to the runner below). Appends need only the first; commits may need both.
const IOREDIS_RETRY_CAP_MS = 2_000;
const LEASE_TTL_MS = 1_000;
const RECOVERY_BOUND_MS = IOREDIS_RETRY_CAP_MS + LEASE_TTL_MS;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Issue 8 (faults): a bad network between the application and Redis. The appends and the runner
// both go through one proxy that delays, stalls and cuts; STREAMSTORE_FAULT_SEED replays a run.
describe("startProjection and EventStore.append through a network that delays, stalls and cuts", () => {
  it("loses and duplicates nothing, and recovers from every cut within a bounded time", async () => {
    const seed = Number(process.env.STREAMSTORE_FAULT_SEED ?? Date.now() % 2 ** 31);
    let random = seed;
    const next = () => {
      random = (random * 1_103_515_245 + 12_345) & 0x7fffffff;
      return random;
    };
    // Given a private server, a proxy with switchable random delays, and a store, producers and
    // a runner whose connections all go through the proxy
    const server = await startRedisServer();
    let delaying = false;
    const proxy = await startTcpProxy({
      targetPort: server.port,
      delayMs: () => (delaying ? next() % 15 : 0),
    });
    const admin = new Redis(server.url);
    const storeRedis = new Redis(proxy.port, "127.0.0.1");
    const runnerRedis = new Redis(proxy.port, "127.0.0.1");
    for (const client of [storeRedis, runnerRedis]) client.on("error", () => {});
    try {
      const store = getRedisEventStore({
        redis: storeRedis,
        events: bankEvents,
        prefix: "net",
        partitions: PARTITIONS,
        serverCheck: "off",
        logger: silentLogger,
      });
      const commits: number[] = [];
      const runner = startProjection(accountsProjection(), {
        redis: runnerRedis,
        store,
        heartbeatMs: 200,
        memberTtlMs: 800,
        leaseTtlMs: LEASE_TTL_MS,
        blockMs: 300,
        leaseMarginMs: 100,
        reconnectDelayMs: 50,
        logger: silentLogger,
        onCommit: () => commits.push(performance.now()),
      });
      const producers = startAcknowledgingProducers(store, {
        producers: 3,
        accountsEach: 20,
        seed,
        pauseMs: 2,
      });
      await sleep(500);

      // When, 16 times, the network delays every chunk by 0-15 ms, or stalls for 100-400 ms, or
      // cuts every connection, with 200-400 ms of calm after each
      const faults: { kind: string; at: number; endedAt: number }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const kind = ["delay", "stall", "cut"][next() % 3] as string;
        const at = performance.now();
        if (kind === "delay") {
          delaying = true;
          await sleep(300);
          delaying = false;
        } else if (kind === "stall") {
          proxy.stall();
          await sleep(100 + (next() % 300));
          proxy.resume();
        } else proxy.cutAll();
        faults.push({ kind, at, endedAt: performance.now() });
        await sleep(200 + (next() % 200));
      }
      await producers.stop();
      await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });

      // Then every acknowledged append is stored once, at its version, and the read model
      // equals the fold of the logs
      const audit = await auditAppends(admin, store, producers.acknowledged, PARTITIONS);
      const model = await readModelMismatches(admin, store, runner, PARTITIONS);
      const afterFault = (times: number[], from: number) =>
        Math.round((times.find((at) => at > from) ?? Number.POSITIVE_INFINITY) - from);
      const cuts = faults.filter((fault) => fault.kind !== "delay");
      const appendRecovery = Math.max(
        0,
        ...cuts.map((f) => afterFault(producers.successes, f.endedAt)),
      );
      const commitRecovery = Math.max(0, ...cuts.map((f) => afterFault(commits, f.endedAt)));
      const summary = `[network seed=${seed}] ${faults.map((f) => f.kind).join(",")}; acknowledged ${audit.acknowledged}, lost ${audit.lost}, duplicated ${audit.duplicated}, misplaced ${audit.misplaced}, caller retries ${producers.retries} (${producers.duplicates} recognised as duplicates), connections ${proxy.connections}; max from the end of a cut/stall to the next acknowledged append ${appendRecovery} ms, to the next commit ${commitRecovery} ms`;
      console.info(summary);
      expect(
        { ...audit, mismatches: model.mismatches, violations: model.violations },
        summary,
      ).toEqual({
        acknowledged: audit.acknowledged,
        lost: 0,
        duplicated: 0,
        misplaced: 0,
        badVersions: 0,
        logEntries: audit.acknowledged,
        mismatches: 0,
        violations: 0,
      });
      expect(appendRecovery, summary).toBeLessThan(RECOVERY_BOUND_MS);
      expect(commitRecovery, summary).toBeLessThan(RECOVERY_BOUND_MS);
      expect(runner.state, summary).toBe("running");
      await runner.stop();
    } finally {
      storeRedis.disconnect();
      runnerRedis.disconnect();
      admin.disconnect();
      await proxy.close();
      await server.stop();
    }
  }, 60_000);
});
