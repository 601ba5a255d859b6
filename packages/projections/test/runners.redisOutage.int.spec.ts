import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectRedis, getRedisEventStore, isRedisUnavailableError } from "@streamstore/core";
import { type RedisServerHandle, recordingLogger, startRedisServer } from "@streamstore/testing";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { defineReactor, startProjection, startReactor } from "../src/index.js";
import { type AccountState, accountsProjection, bankEvents } from "./support/fixtures.js";

/** Polls `condition` until it holds, or fails with `what` after `timeoutMs`. */
async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms: ${what} ${describeRun()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What the failure message of `eventually` adds: the parts' states and the log so far. */
let describeRun = () => "";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Issues 13/14: a projection runner and a reactor on clients from connectRedis (commands fail
// fast during an outage, so every code path meets the failure) live through Redis going away
// for more than 3 s: a private AOF server SIGKILLed and restarted on the same port and data.
describe("startProjection and startReactor when Redis goes away and comes back", () => {
  it("keep retrying through a 3+ s outage, report it, never reject on their own, and handle the events appended after it", async () => {
    // Given a private redis-server that keeps its data across a restart
    const dir = await mkdtemp(join(tmpdir(), "streamstore-outage-"));
    const args = ["--appendonly", "yes", "--appendfsync", "always"];
    let server: RedisServerHandle = await startRedisServer({ dir, args });
    cleanups.push(async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    cleanups.push(async () => {
      process.off("unhandledRejection", onUnhandled);
    });
    // and a store, a projection runner and a reactor, each on its own connectRedis client
    const logger = recordingLogger();
    const connect = async (): Promise<Redis> => {
      const client = await connectRedis(server.url, { logger, retryDelayMaxMs: 500 });
      cleanups.push(async () => client.disconnect());
      return client;
    };
    const store = getRedisEventStore({
      redis: await connect(),
      events: bankEvents,
      prefix: "outage",
      partitions: 2,
      serverCheck: "off",
      logger,
    });
    const runner = startProjection(accountsProjection(), {
      redis: await connect(),
      store,
      heartbeatMs: 200,
      memberTtlMs: 800,
      leaseTtlMs: 1000,
      blockMs: 300,
      leaseMarginMs: 100,
      reconnectDelayMs: 100,
      logger,
    });
    cleanups.push(() => runner.stop());
    const handled = new Set<string>();
    const reactor = startReactor(
      defineReactor(bankEvents, {
        name: "mailer",
        source: ["account"],
        handlers: {
          Deposited: (event) => {
            handled.add(event.id);
          },
        },
      }),
      {
        redis: await connect(),
        store,
        startFrom: "beginning",
        blockMs: 300,
        claimIntervalMs: 200,
        reconnectDelayMs: 100,
        logger,
      },
    );
    cleanups.push(() => reactor.stop());
    describeRun = () =>
      JSON.stringify({ r: runner.state, x: reactor.state, p: runner.ownedPartitions() }) +
      logger.records.map((r) => `${r.level} ${r.message.slice(0, 160)}`).join("\n");
    const deposit = (account: number, amount: number) =>
      store.append(`account-${account}`, [{ type: "Deposited", data: { amount } }]);
    for (let account = 0; account < 4; account++) await deposit(account, 10);
    await runner.waitUntilCaughtUp();
    await eventually("the reactor handled the first 4 events", () => handled.size === 4);

    // When Redis is SIGKILLed, stays away for more than 3 s, and comes back on its port and data
    const killedAt = performance.now();
    server.process.kill("SIGKILL");
    await new Promise((resolve) => server.process.once("exit", resolve));
    const during = await deposit(0, 1).then(
      () => undefined,
      (error: unknown) => error,
    );
    await eventually(
      "3 s of outage, seen and logged by the runner and the reactor",
      () =>
        performance.now() - killedAt > 3000 &&
        logger.records.some(
          (r) => r.level === "warn" && r.message.includes('projection "accounts"'),
        ) &&
        logger.records.some((r) => r.level === "warn" && r.message.includes('reactor "mailer"')),
      10_000,
    );
    // (what they report while Redis is away)
    await eventually(
      "the runner, its partitions and the reactor report reconnecting",
      () =>
        runner.state === "reconnecting" &&
        reactor.state === "reconnecting" &&
        runner.ownedPartitions().every((owned) => owned.state === "reconnecting"),
      10_000,
    );
    const duringOutage = {
      runner: runner.lastError,
      reactor: reactor.lastError,
      partitions: runner.ownedPartitions().map((owned) => owned.lastError),
    };
    server = await startRedisServer({ dir, args, port: server.port });
    // and events are appended after it (an application retries what failed while Redis was away)
    await eventually("an append after the restart", async () =>
      deposit(1, 5).then(
        () => true,
        (error: unknown) => {
          if (!isRedisUnavailableError(error)) throw error;
          return false;
        },
      ),
    );
    for (let account = 2; account < 4; account++) await deposit(account, 5);

    // Then the append during the outage failed fast with the typed error
    expect(isRedisUnavailableError(during)).toBe(true);
    // And the projection applies the events appended after the outage
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });
    const balances = await Promise.all(
      [0, 1, 2, 3].map(async (account) => (await runner.get(`account-${account}`)) as AccountState),
    );
    expect(balances.map((state) => state.balance)).toEqual([10, 15, 15, 15]);
    expect(balances.every((state) => state.violations === 0)).toBe(true);
    // And the reactor handles them too
    await eventually(
      "the reactor handled the 3 events appended after the outage",
      () => handled.size === 7,
    );
    // And while it lasted, each said where Redis is and what failed
    const unavailable = `Redis at redis://127.0.0.1:${server.port}/0 is unavailable (`;
    expect(duringOutage.runner).toContain(unavailable);
    expect(duringOutage.reactor).toContain(unavailable);
    expect(duringOutage.partitions.every((error) => error?.includes(unavailable))).toBe(true);
    // And both run again after it, with no error left to report
    await eventually(
      "both running again",
      () =>
        runner.state === "running" &&
        reactor.state === "running" &&
        runner.ownedPartitions().every((owned) => owned.state === "live"),
    );
    expect(runner.lastError).toBeUndefined();
    expect(reactor.lastError).toBeUndefined();
    // And a [streamstore] warning was logged, and nothing was left unhandled
    expect(
      logger.records.some((r) => r.level === "warn" && r.message.startsWith("[streamstore]")),
    ).toBe(true);
    expect(unhandled).toEqual([]);
  }, 90_000);
});
