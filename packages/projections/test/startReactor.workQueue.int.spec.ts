import { silentLogger } from "@streamstore/core";
import { until } from "@streamstore/testing/internal";
import { describe, expect, it } from "vitest";
import { defineReactor, startReactor } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { bankEvents } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

describe.each(testBackends())("startReactor on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners, clients } = keyspace;

  it("shares events among competing workers, retries, dead-letters, and takes over a dead worker's pending events", async () => {
    // Given one reactor ("mailer") run by three workers, each recording the events it finished;
    // its handler fails twice on one event and always on another. The "doomed" worker's handler
    // never finishes, so every event it is given stays pending under its name.
    const { redis, prefix } = keyspace;
    const calls = new Map<string, number>();
    const finishedBy = new Map<string, string[]>();
    const givenToDoomed = new Set<string>();
    const mailer = (worker: string) =>
      defineReactor(bankEvents, {
        name: "mailer",
        source: ["account"],
        handlers: {
          Deposited: async (event, context) => {
            calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
            if (worker === "doomed") {
              givenToDoomed.add(event.id);
              await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
              throw new Error("stopped");
            }
            if (event.data.amount === 7 && context.attempt < 3) throw new Error("flaky");
            if (event.data.amount === 13) throw new Error("poison");
            await new Promise((resolve) => setTimeout(resolve, 1));
            finishedBy.set(event.id, [...(finishedBy.get(event.id) ?? []), worker]);
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
    const logKeys = [0, 1].map((p) => store.keys.log("account", p));
    const pendingRows = async (): Promise<PendingRow[]> => {
      const rows: PendingRow[] = [];
      for (const key of logKeys) {
        // (NOGROUP until a worker created the group on that log)
        const reply = await redis.xpending(key, "rx:mailer", "-", "+", 1000).catch((error) => {
          if (String(error).includes("NOGROUP")) return [];
          throw error;
        });
        rows.push(...(reply as PendingRow[]));
      }
      return rows;
    };

    // When the doomed worker alone takes the first events and dies (its connection gone for good)
    // while it holds them
    for (let i = 0; i < 10; i++)
      await store.append(`account-${i}`, [{ type: "Deposited", data: { amount: 1000 + i } }]);
    const doomedRedis = backend.connect();
    clients.push(doomedRedis);
    const doomed = startReactor(mailer("doomed"), {
      redis: doomedRedis,
      ...fast,
      workerId: "doomed",
    });
    await until(async () => {
      const held = (await pendingRows()).filter((row) => row[1] === "doomed");
      return held.length > 0 && held.length === givenToDoomed.size;
    }, "the doomed worker holding the events it was given");
    const heldByDoomed = new Set(givenToDoomed);
    doomedRedis.disconnect();
    // and two live workers start while 300 more events arrive
    const workers = ["a", "b"].map((name) =>
      startReactor(mailer(name), { redis, ...fast, workerId: name }),
    );
    runners.push(...workers);
    for (let i = 1; i <= 300; i++)
      await store.append(`account-${i % 10}`, [{ type: "Deposited", data: { amount: i } }]);
    await until(
      async () => (await pendingRows()).length === 0 && calls.size === 310,
      "every event handled and nothing pending (the doomed worker's events claimed)",
      15_000,
    );

    // Then the doomed worker's events were taken over and finished by the live workers
    expect(heldByDoomed.size).toBeGreaterThan(0);
    for (const id of heldByDoomed) expect(finishedBy.get(id)?.length, id).toBeGreaterThan(0);
    // and both live workers finished a share of the events
    const shares = ["a", "b"].map(
      (name) => [...finishedBy.values()].filter((finishers) => finishers[0] === name).length,
    );
    expect(
      shares.every((share) => share > 0),
      `events finished by a / b: ${shares}`,
    ).toBe(true);
    // and every event was finished (delivery is at least once), except the poison one; the flaky
    // one succeeded on its third try, and the poison one is a dead letter after 3 attempts
    expect(calls.size).toBe(310);
    expect(finishedBy.size).toBe(309);
    const flaky = [...calls.entries()].filter(([, count]) => count === 3);
    expect(flaky.length).toBeGreaterThanOrEqual(2);
    const letters = await workers[0]?.deadLetters.list();
    expect(
      letters?.map((letter) => [letter.reason, letter.attempts, JSON.parse(letter.entry).d]),
    ).toEqual([["handler", 3, '{"amount":13}']]);
    expect(doomed.state).not.toBe("stopped");
    await doomed.stop();
  });
});
