import {
  getRedisEventStore,
  isRedisOutOfMemoryError,
  type Logger,
  silentLogger,
} from "@streamstore/core";
import { startRedisServer, startTcpProxy } from "@streamstore/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { getProjectionStatus, startProjection } from "../src/index.js";
import { readModelMismatches } from "./support/faultHarness.js";
import { accountsProjection, bankEvents } from "./support/fixtures.js";

const PARTITIONS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Issue 8 (faults): Redis is full. packages/core/test/append.outOfMemory.int.spec.ts shows an
// append is refused whole; this is the runner's side: its commits (and lease renewals, heartbeats)
// are refused while entries wait in the log.
describe("startProjection when Redis is out of memory under noeviction", () => {
  it("pauses without failing, losing or re-applying a batch while its commits are refused, and resumes by itself once memory is freed", async () => {
    // Given a private server with noeviction, a runner reaching it through a proxy, and a log
    // the runner has applied
    const server = await startRedisServer({ args: ["--maxmemory-policy", "noeviction"] });
    const proxy = await startTcpProxy({ targetPort: server.port });
    const admin = new Redis(server.url);
    const runnerRedis = new Redis(proxy.port, "127.0.0.1");
    runnerRedis.on("error", () => {});
    const warnings: string[] = [];
    const transitions: string[] = [];
    const logger: Logger = {
      ...silentLogger,
      info: (_fields, message) => {
        if (message.includes("->")) transitions.push(message.replace(/^.*: /, ""));
      },
      warn: (_fields, message) => warnings.push(message),
    };
    const committed: string[] = [];
    try {
      const store = getRedisEventStore({
        redis: admin,
        events: bankEvents,
        prefix: "oom",
        partitions: PARTITIONS,
        serverCheck: "off",
        logger: silentLogger,
      });
      const runner = startProjection(accountsProjection(), {
        redis: runnerRedis,
        store,
        batchSize: 100,
        heartbeatMs: 200,
        memberTtlMs: 800,
        leaseTtlMs: 1000,
        blockMs: 300,
        leaseMarginMs: 100,
        reconnectDelayMs: 100,
        logger,
        onCommit: (info) => committed.push(...info.entryIds.map((id) => `${info.partition}/${id}`)),
      });
      const appendMany = async (count: number) => {
        for (let i = 0; i < count; i++)
          await store.append(`account-${i % 40}`, [{ type: "Deposited", data: { amount: i } }]);
      };
      await appendMany(500);
      await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

      // When the runner is held back (a stalled network) while 1,000 more events are appended,
      // and Redis then fills up: a 4 MB ballast key and maxmemory below what is used
      proxy.stall();
      await appendMany(1_000);
      // (built inside Redis: a 4 MB argument would sit in the client's query buffer, counted in
      // used_memory until Redis shrinks it, and then free room under the limit by itself)
      await admin.eval("redis.call('SET', KEYS[1], string.rep('x', 4194304))", 1, "ballast");
      const used = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
      await admin.config("SET", "maxmemory", String(used - 2 ** 20));
      const refusal = await store
        .append("account-0", [{ type: "Deposited", data: { amount: 1 } }])
        .catch((error: unknown) => error);
      const committedBeforeOom = committed.length;
      transitions.length = 0;
      warnings.length = 0;
      proxy.resume();
      await sleep(3_000);

      // Then appends are refused with Redis's OOM error, the runner commits nothing, does not
      // fail, and its status shows the lag
      expect(isRedisOutOfMemoryError(refusal), String(refusal)).toBe(true);
      expect(String((refusal as Error).cause)).toMatch(/OOM command not allowed/);
      expect(committed.length).toBe(committedBeforeOom);
      expect(runner.state).toBe("running");
      const paused = await getProjectionStatus(accountsProjection(), {
        redis: admin,
        prefix: "oom",
      });
      expect(paused.healthy).toBe(false);
      // (renewals are refused too, so the leases run out: no partition shows as live)
      expect(paused.partitions.every((p) => p.state !== "live")).toBe(true);
      expect(paused.partitions.reduce((sum, p) => sum + p.lag, 0)).toBeGreaterThanOrEqual(1_000);
      const warningsWhileFull = warnings.length;
      const oomWarnings = warnings.filter((warning) => warning.includes("OOM")).length;

      // When memory is freed by deleting the ballast and lifting the limit
      const freedAt = performance.now();
      await admin.del("ballast");
      await admin.config("SET", "maxmemory", "0");
      await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
      const resumedMs = Math.round(performance.now() - freedAt);

      // Then it resumed by itself: every log entry committed exactly once, the read model exact
      const model = await readModelMismatches(admin, store, runner, PARTITIONS);
      expect(model.mismatches).toBe(0);
      expect(model.violations).toBe(0);
      expect(new Set(committed).size).toBe(committed.length);
      expect(committed.length).toBe(1_500);
      // (caught up is not yet live: each partition reports live once it tails again)
      let status = await runner.status();
      for (const deadline = Date.now() + 20_000; !status.healthy && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        status = await runner.status();
      }
      expect(status.healthy).toBe(true);
      console.info(
        `[oom] while full (3 s): ${warningsWhileFull} warnings (${oomWarnings} naming OOM), partition states ${JSON.stringify(paused.partitions.map((p) => p.state))}, transitions ${JSON.stringify(transitions)}; freed -> caught up ${resumedMs} ms`,
      );
      // No crash loop: each partition backs off and warns once per streak (the runner loop too)
      expect(warningsWhileFull).toBeLessThanOrEqual(6);
      await runner.stop();
    } finally {
      runnerRedis.disconnect();
      admin.disconnect();
      await proxy.close();
      await server.stop();
    }
  }, 60_000);
});
