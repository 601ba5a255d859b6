import { silentLogger } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { defineReactor, startReactor } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { bankEvents } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(testBackends())("startReactor on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners, clients } = keyspace;

  it("shares events among competing workers, retries, dead-letters, and takes over a dead worker's pending events", async () => {
    // Given a reactor whose handler fails twice on one event and always on another
    const { redis, prefix } = keyspace;
    const calls = new Map<string, number>();
    const reactor = defineReactor(bankEvents, {
      name: "mailer",
      source: ["account"],
      handlers: {
        Deposited: async (event, context) => {
          calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
          if (event.data.amount === 7 && context.attempt < 3) throw new Error("flaky");
          if (event.data.amount === 13) throw new Error("poison");
          await new Promise((resolve) => setTimeout(resolve, 1));
        },
      },
    });
    const store = keyspace.store({ partitions: 2 });
    const fast = {
      prefix,
      startFrom: "beginning" as const,
      blockMs: 200,
      claimIntervalMs: 100,
      claimMinIdleMs: 400,
      retryBackoffMs: 10,
      maxDeliveries: 3,
      logger: silentLogger,
    };
    await store.append("account-0", [{ type: "Deposited", data: { amount: 0 } }]);
    const doomedRedis = backend.connect();
    clients.push(doomedRedis);
    const doomed = startReactor(reactor, { redis: doomedRedis, ...fast, workerId: "doomed" });
    const workers = [
      startReactor(reactor, { redis, ...fast }),
      startReactor(reactor, { redis, ...fast }),
    ];
    runners.push(...workers);

    // When 300 events arrive, and one worker dies (for good) midway
    for (let i = 1; i <= 300; i++) {
      await store.append(`account-${i % 10}`, [{ type: "Deposited", data: { amount: i } }]);
      if (i === 150) doomedRedis.disconnect();
    }
    const logKeys = [0, 1].map((p) => store.keys.log("account", p));
    await until(async () => {
      let pending = 0;
      for (const key of logKeys)
        pending += Number(((await redis.xpending(key, "rx:mailer")) as unknown[])[0]);
      return pending === 0 && calls.size === 301;
    }, 20_000);

    // Then every event was handled, nothing is pending, the flaky one succeeded on its third try,
    // and the poison one is a dead letter after 3 attempts
    const flaky = [...calls.entries()].filter(([, count]) => count === 3);
    expect(calls.size).toBe(301);
    expect(flaky.length).toBeGreaterThanOrEqual(2);
    const letters = await workers[0]?.deadLetters.list();
    expect(
      letters?.map((letter) => [letter.reason, letter.attempts, JSON.parse(letter.entry).d]),
    ).toEqual([["handler", 3, '{"amount":13}']]);
    expect(doomed.state).not.toBe("stopped");
    await doomed.stop();
  });
});
