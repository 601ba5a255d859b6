import { silentLogger } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import {
  createReactorDeadLetters,
  defineReactor,
  discoverProjections,
  discoverReactors,
  getReactorStatus,
  isDeadLetterNotFoundError,
  startProjection,
  startReactor,
} from "../src/index.js";
import { reactorKeys } from "../src/internal.js";
import { testBackends } from "./support/backends.js";
import { accountsProjection, bankEvents } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Issue 13: reactors were invisible to status tools. A reactor is found from its consumer groups
// alone, and its status (groups, lag, pending, consumers, dead letters) read without its code.
describe.each(testBackends())("discoverReactors and getReactorStatus on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);

  it("finds a running reactor from its consumer groups and reports its partitions, consumers and dead letters; a stopped one shows lag", async () => {
    // Given a reactor on 2 partitions that fails on a deposit of 13 (dead-lettered at once), and a projection beside it
    const { redis, prefix, runners } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    let failing = true;
    const attempts: number[] = [];
    const mailer = defineReactor(bankEvents, {
      name: "mailer",
      source: ["account"],
      handlers: {
        Deposited: (event, context) => {
          attempts.push(context.attempt);
          if (event.data.amount === 13 && failing) throw new Error("poison");
        },
      },
    });
    const worker = startReactor(mailer, {
      redis,
      prefix,
      workerId: "worker-1",
      startFrom: "beginning",
      maxDeliveries: 1,
      blockMs: 100,
      claimIntervalMs: 100,
      logger: silentLogger,
    });
    runners.push(worker);
    const projection = startProjection(accountsProjection(), {
      redis,
      store,
      logger: silentLogger,
    });
    runners.push(projection);
    for (let i = 1; i <= 10; i++) {
      await store.append(`account-${i}`, [
        { type: "Deposited", data: { amount: i === 5 ? 13 : i } },
      ]);
    }

    // When the reactor has handled everything (one dead letter, nothing pending or left)
    await until(async () => {
      const status = await getReactorStatus(mailer, { redis, prefix });
      return (
        status.deadLetters === 1 &&
        status.partitions.every((partition) => partition.lag === 0 && partition.pending === 0)
      );
    }, "the reactor caught up with one dead letter");
    const found = await discoverReactors({ redis, prefix });
    const projections = await discoverProjections({ redis, prefix });
    const status = await getReactorStatus(found[0] ?? mailer, { redis, prefix });

    // Then it is found by name and source, apart from the projection, with its group on each partition
    expect(found).toEqual([{ name: "mailer", source: ["account"] }]);
    expect(projections.map((entry) => entry.name)).toEqual(["accounts"]);
    expect(status).toMatchObject({
      reactor: "mailer",
      group: "rx:mailer",
      source: ["account"],
      deadLetters: 1,
      healthy: false,
    });
    expect(
      status.partitions.map((p) => [p.category, p.partition, p.group, p.lag, p.pending]),
    ).toEqual([
      ["account", 0, "rx:mailer", 0, 0],
      ["account", 1, "rx:mailer", 0, 0],
    ]);
    expect(status.consumers.map((consumer) => consumer.name)).toEqual(["worker-1"]);
    expect(status.lastActivityAt).toBeGreaterThan(Date.now() - 60_000);

    // And once stopped, an event appended is left to deliver on its partition
    await worker.stop();
    const appended = await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
    const stopped = await getReactorStatus(mailer, { redis, prefix });
    const { partition } = appended;
    expect(stopped.partitions[partition]?.lag).toBe(1);
    expect(stopped.partitions[1 - partition]?.lag).toBe(0);

    // And its dead letter is retried without a worker, through the handler (fixed), then gone
    failing = false;
    const deadLetters = createReactorDeadLetters(mailer, { redis, prefix });
    const [letter] = await deadLetters.list();
    await deadLetters.retry(letter?.id ?? "");
    expect(attempts.at(-1)).toBe(2);
    expect(await redis.xlen(reactorKeys(prefix, "mailer").deadLetters)).toBe(0);

    // And retrying it again is a typed error that names the reactor as a reactor
    const again = await deadLetters.retry(letter?.id ?? "").catch((error: unknown) => error);
    expect(isDeadLetterNotFoundError(again)).toBe(true);
    expect(again).toMatchObject({ owner: "reactor", ownerName: "mailer" });
    expect((again as Error).message).toContain(`reactor "mailer" has no dead letter ${letter?.id}`);
  });

  it("reports a reactor whose code names a category it never read: no group there, unhealthy", async () => {
    // Given events, and no reactor ever started
    const { redis, prefix } = keyspace;
    const store = keyspace.store();
    await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
    const mailer = defineReactor(bankEvents, { name: "mailer", source: ["account"], handlers: {} });

    // When its status is read, and reactors are discovered
    const status = await getReactorStatus(mailer, { redis, prefix });
    const found = await discoverReactors({ redis, prefix });

    // Then the partition has no group, nothing is found in Redis
    expect(status.partitions).toEqual([
      {
        category: "account",
        partition: 0,
        group: null,
        lastDelivered: null,
        lag: null,
        pending: 0,
        consumers: 0,
        lastActivityAt: null,
      },
    ]);
    expect(status.healthy).toBe(false);
    expect(found).toEqual([]);
  });
});
