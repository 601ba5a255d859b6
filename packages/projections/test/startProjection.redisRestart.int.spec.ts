import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisServer } from "@streamstore/testing";
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Issue 8 (faults): Redis itself dies. A private AOF server is SIGKILLed mid-run and restarted on
// the same data directory and port; the clients are the ones the store and the runner were given
// at the start, left to ioredis's own reconnection.
describe.each(["always", "everysec"] as const)(
  "startProjection and EventStore.append when Redis is SIGKILLed and restarted (appendfsync %s)",
  (appendfsync) => {
    it("keeps every acknowledged append exactly once and reconnects by itself to a read model equal to the fold of the logs", async () => {
      // Given a private redis-server with AOF on a data directory the test owns
      const dir = await mkdtemp(join(tmpdir(), "streamstore-restart-"));
      const args = ["--appendonly", "yes", "--appendfsync", appendfsync];
      let server = await startRedisServer({ dir, args });
      const port = server.port;
      const storeRedis = new Redis(server.url);
      const runnerRedis = new Redis(server.url);
      const admin = new Redis(server.url);
      for (const client of [storeRedis, runnerRedis, admin]) client.on("error", () => {});
      const prefix = "restart";
      try {
        const store = getRedisEventStore({
          redis: storeRedis,
          events: bankEvents,
          prefix,
          partitions: PARTITIONS,
          serverCheck: "off",
          logger: silentLogger,
        });
        let lastCommitAt = 0;
        const runner = startProjection(accountsProjection(), {
          redis: runnerRedis,
          store,
          heartbeatMs: 200,
          memberTtlMs: 800,
          leaseTtlMs: 1000,
          blockMs: 300,
          leaseMarginMs: 100,
          reconnectDelayMs: 100,
          logger: silentLogger,
          onCommit: () => {
            lastCommitAt = performance.now();
          },
        });
        // and 4 producers appending with their own event ids, recording every acknowledgement
        const producers = startAcknowledgingProducers(store, {
          producers: 4,
          accountsEach: 25,
          seed: 8,
        });
        await sleep(1500);

        // When Redis is SIGKILLed mid-run and restarted 300 ms later on the same port and data
        const acknowledgedBeforeKill = producers.acknowledged.size;
        const killedAt = performance.now();
        server.process.kill("SIGKILL");
        await new Promise((resolve) => server.process.once("exit", resolve));
        await sleep(300);
        server = await startRedisServer({ dir, args, port });
        const restartedAt = performance.now();
        // (recovery: the first acknowledged append and the first commit after the restart)
        let firstAppendMs: number | undefined;
        let runnerBackMs: number | undefined;
        while (firstAppendMs === undefined || runnerBackMs === undefined) {
          const firstSuccess = producers.successes.find((at) => at > restartedAt);
          if (firstAppendMs === undefined && firstSuccess !== undefined)
            firstAppendMs = Math.round(firstSuccess - killedAt);
          if (
            runnerBackMs === undefined &&
            lastCommitAt > restartedAt &&
            runner.ownedPartitions().length === PARTITIONS &&
            runner.ownedPartitions().every((owned) => owned.state === "live")
          )
            runnerBackMs = Math.round(performance.now() - killedAt);
          if (performance.now() - killedAt > 30_000)
            throw new Error(
              `[restart] not recovered 30 s after the kill: ${JSON.stringify(runner.ownedPartitions())}`,
            );
          await sleep(10);
        }
        await sleep(1000);
        await producers.stop();
        await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });

        // Then every acknowledged event is in its stream and its log once, at its version
        const audit = await auditAppends(admin, store, producers.acknowledged, PARTITIONS);
        const model = await readModelMismatches(admin, store, runner, PARTITIONS);
        console.info(
          `[restart appendfsync=${appendfsync}] acknowledged ${audit.acknowledged} (${acknowledgedBeforeKill} before the kill), lost ${audit.lost}, duplicated ${audit.duplicated}, retried attempts ${producers.retries} (${producers.duplicates} recognised as duplicates), kill -> first append ${firstAppendMs} ms, kill -> runner live and committing ${runnerBackMs} ms (Redis down ${Math.round(restartedAt - killedAt)} ms)`,
        );
        if (appendfsync === "always") expect(audit.lost).toBe(0);
        expect(audit.duplicated).toBe(0);
        expect(audit.misplaced).toBe(0);
        expect(audit.badVersions).toBe(0);
        expect(audit.logEntries).toBe(audit.acknowledged - audit.lost);
        // And the read model, kept by the same runner through the restart, equals the fold
        expect(model.mismatches).toBe(0);
        expect(model.violations).toBe(0);
        expect(runner.state).toBe("running");
        await runner.stop();
      } finally {
        for (const client of [storeRedis, runnerRedis, admin]) client.disconnect();
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }, 60_000);
  },
);
