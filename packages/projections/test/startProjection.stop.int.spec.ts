import { silentLogger } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { type ProjectionRunner, startProjection } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { type AccountState, accountsProjection, depositInRounds } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

describe.each(testBackends())("startProjection stopped by an AbortSignal on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners } = keyspace;

  it("leaves a read model consistent with its checkpoint mid catch-up, and a restart finishes it exactly", async () => {
    // Given 6,000 events and a runner catching up in small batches
    const { redis } = keyspace;
    const store = keyspace.store();
    const keys = Array.from({ length: 30 }, (_, a) => `account-${a}`);
    await depositInRounds(store, keys, 20);
    const controller = new AbortController();
    let commits = 0;
    const runner = startProjection(accountsProjection(), {
      redis,
      store,
      batchSize: 20,
      signal: controller.signal,
      logger: silentLogger,
      onCommit: () => {
        commits++;
        if (commits === 15) controller.abort();
      },
    });

    // When the signal aborts it in the middle of the catch-up
    await runner.done;
    const counted = ((await runner.getMany(keys)) as (AccountState | undefined)[]).reduce(
      (sum, state) => sum + (state?.count ?? 0),
      0,
    );
    const status = await runner.status();

    // Then what was committed matches the checkpoint exactly, and the lease was released
    expect(runner.state).toBe("stopped");
    expect(counted).toBe(status.partitions[0]?.applied);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(6000);
    expect(status.partitions[0]?.owner).toBeNull();

    // When a new runner starts
    const again = startProjection(accountsProjection(), { redis, store, logger: silentLogger });
    runners.push(again as ProjectionRunner<unknown>);
    await again.waitUntilCaughtUp();

    // Then every event is applied once
    const states = (await again.getMany(keys)) as AccountState[];
    expect(states.reduce((sum, state) => sum + state.count, 0)).toBe(6000);
    expect(states.every((state) => state.violations === 0)).toBe(true);
  });
});
