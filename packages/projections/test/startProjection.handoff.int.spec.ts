import { silentLogger } from "@streamstore/core";
import { until } from "@streamstore/testing/internal";
import { describe, expect, it } from "vitest";
import { type ProjectionRunner, startProjection } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import {
  type AccountState,
  accountsProjection,
  readLogs,
  referenceFold,
} from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

describe.each(testBackends())("startProjection on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners } = keyspace;

  it("applies every event appended before and during the catch-up exactly once", async () => {
    // Given 12,000 events in 2 partitions, and a producer that keeps appending while the runner catches up
    const { redis } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const accounts = 120;
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: accounts }, (_, a) =>
          store.append(
            `account-${a}`,
            Array.from({ length: 10 }, (_, i) => ({
              type: i % 3 === 2 ? ("Withdrawn" as const) : ("Deposited" as const),
              data: { amount: round * 10 + i + 1 },
            })),
          ),
        ),
      );
    }
    const projection = accountsProjection();
    const statesSeenByProducer = new Set<string>();
    let runner: ProjectionRunner<AccountState> | undefined;
    let producing = true;
    let appendedWhileCatchingUp = 0;
    let producerDone = false;
    const producerStore = keyspace.store({ partitions: 2 });
    const producer = (async () => {
      let appended = 0;
      while (producing || appended < 1500) {
        await producerStore.append(`account-${appended % accounts}`, [
          { type: "Deposited", data: { amount: 1 } },
          { type: "Noted", data: { text: "a note" } },
        ]);
        appended++;
        const states = (runner?.ownedPartitions() ?? []).map((owned) => owned.state);
        for (const state of states) statesSeenByProducer.add(state);
        if (states.includes("catching-up")) appendedWhileCatchingUp++;
        if (appended >= 3000) break;
      }
      producerDone = true;
      return appended;
    })();

    // When a runner starts with small batches (a long catch-up)
    runner = startProjection(projection, { redis, store, batchSize: 100, logger: silentLogger });
    runners.push(runner as ProjectionRunner<unknown>);
    // (the producer keeps going until it has appended a few batches while the runner was catching up)
    await until(
      () => appendedWhileCatchingUp >= 20 || producerDone,
      "the producer appending while the runner catches up",
    );
    producing = false;
    const appended = await producer;
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 60_000 });

    // Then the read model equals a reference fold of the logs, with no version out of sequence
    expect(statesSeenByProducer.has("catching-up")).toBe(true);
    const entries = await readLogs(
      redis,
      [0, 1].map((p) => store.keys.log("account", p)),
    );
    expect(entries.length).toBe(12_000 + appended * 2);
    const expected = referenceFold(entries);
    const keys = [...expected.keys()];
    const actual = await runner.getMany(keys);
    keys.forEach((key, index) => {
      expect(actual[index], key).toEqual(expected.get(key));
    });
    const total = (actual as AccountState[]).reduce((sum, state) => sum + state.count, 0);
    expect(total).toBe(12_000 + appended * 2);
    expect((actual as AccountState[]).every((state) => state.violations === 0)).toBe(true);
    const status = await runner.status();
    expect(status.partitions.map((partition) => partition.lag)).toEqual([0, 0]);
    expect(status.partitions.map((partition) => partition.state)).toEqual(["live", "live"]);
  });

  it("lets a reader read its own write after waitUntilCaughtUp(appendResult)", async () => {
    // Given a live runner
    const { redis } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const runner = startProjection(accountsProjection(), { redis, store, logger: silentLogger });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp();

    // When an event is appended and the caller waits for its position
    const result = await store.append("account-7", [{ type: "Deposited", data: { amount: 42 } }]);
    await runner.waitUntilCaughtUp(result, { timeoutMs: 10_000 });

    // Then the document shows it
    expect(await runner.get("account-7")).toEqual({
      balance: 42,
      count: 1,
      lastVersion: 1,
      violations: 0,
    });
  });
});
