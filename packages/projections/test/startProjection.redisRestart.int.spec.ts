import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisServer } from "@streamstore/testing";
import { until } from "@streamstore/testing/internal";
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
        await until(
          () => producers.acknowledged.size >= 1_000 && lastCommitAt > 0,
          "1,000 acknowledged events and a commit before the kill",
        );

        // When Redis is SIGKILLed mid-run and restarted 300 ms later on the same port and data
        const acknowledgedBeforeKill = producers.acknowledged.size;
        // (Redis may postpone an AOF write() while a background fsync is still running, and
        // then acknowledge appends only held in its memory: counted here, for the failure message)
        const delayedWrites = /aof_delayed_fsync:(\d+)/.exec(await admin.info("persistence"))?.[1];
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
        const acknowledgedAtRecovery = producers.acknowledged.size;
        await until(
          () => producers.acknowledged.size >= acknowledgedAtRecovery + 500,
          "500 more acknowledged events after the recovery",
        );
        await producers.stop();
        await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });

        // Then every acknowledged event is in its stream and its log once, at its version
        const audit = await auditAppends(admin, store, producers.acknowledged, PARTITIONS);
        const model = await readModelMismatches(admin, store, runner, PARTITIONS);
        console.info(
          `[restart appendfsync=${appendfsync}] acknowledged ${audit.acknowledged} (${acknowledgedBeforeKill} before the kill), lost ${audit.lost}, duplicated ${audit.duplicated}, retried attempts ${producers.retries} (${producers.duplicates} recognised as duplicates), kill -> first append ${firstAppendMs} ms, kill -> runner live and committing ${runnerBackMs} ms (Redis down ${Math.round(restartedAt - killedAt)} ms)`,
        );
        // (both settings: the AOF write() precedes the reply, so a process kill loses nothing
        // acknowledged; everysec defers only the fsync, which matters for an OS crash)
        expect(
          audit.lost,
          `acknowledged appends lost (aof_delayed_fsync before the kill: ${delayedWrites}, see docs/durability.md)`,
        ).toBe(0);
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
