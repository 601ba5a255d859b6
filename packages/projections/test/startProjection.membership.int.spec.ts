import { describe, expect, it } from "vitest";
import { type ProjectionRunner, startProjection } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import {
  type AccountState,
  accountsProjection,
  FAST_RUNNER_OPTIONS,
  readLogs,
  referenceFold,
} from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

// A shorter lease than the other suites: the test times how fast a dead worker's partitions move.
const FAST = { ...FAST_RUNNER_OPTIONS, leaseTtlMs: 600 };

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}

// The bounds are the documented promises (docs/delivery-guarantees.md, "Membership") for the
// settings used here, plus one allowance for a loaded 2-core CI machine delaying timers:
// - a dead worker's partitions move once its lease expired and the survivor's next heartbeat ran,
//   then the survivor catches up and tails (one block);
// - a joiner is seen within the member TTL plus a heartbeat, and takes what the others release
//   at their next heartbeat.
const SCHEDULING_ALLOWANCE_MS = 1_500;
const MOVE_BOUND_MS = FAST.leaseTtlMs + FAST.heartbeatMs + FAST.blockMs + SCHEDULING_ALLOWANCE_MS;
const JOIN_BOUND_MS = FAST.memberTtlMs + 2 * FAST.heartbeatMs + SCHEDULING_ALLOWANCE_MS;

describe.each(testBackends())("startProjection with several workers on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners, clients } = keyspace;

  it("spreads partitions over the workers, and moves a dead worker's partitions within a second", async () => {
    // Given two workers on four partitions
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 4 });
    for (let i = 0; i < 400; i++)
      await store.append(`account-${i % 40}`, [{ type: "Deposited", data: { amount: i } }]);
    const doomedRedis = backend.connect();
    clients.push(doomedRedis);
    const survivor = startProjection(accountsProjection(), { redis, store, ...FAST });
    const doomed = startProjection(accountsProjection(), { redis: doomedRedis, prefix, ...FAST });
    runners.push(survivor as ProjectionRunner<unknown>);
    await until(
      () => survivor.ownedPartitions().length === 2 && doomed.ownedPartitions().length === 2,
      5000,
    );

    // When one of them dies without a goodbye (its connection is gone for good)
    doomedRedis.disconnect();
    const movedAfter = await until(
      () => survivor.ownedPartitions().filter((owned) => owned.state === "live").length === 4,
      5000,
    );
    for (let i = 0; i < 400; i++)
      await store.append(`account-${i % 40}`, [{ type: "Withdrawn", data: { amount: 1 } }]);
    await survivor.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });

    // Then the survivor owns every partition within the lease time, and nothing was applied twice
    console.info(
      `[membership ${backend.name}] partitions moved after ${Math.round(movedAfter)} ms`,
    );
    expect(movedAfter).toBeLessThan(MOVE_BOUND_MS);
    const expected = referenceFold(
      await readLogs(
        redis,
        [0, 1, 2, 3].map((p) => store.keys.log("account", p)),
      ),
    );
    const keys = [...expected.keys()];
    expect(await survivor.getMany(keys)).toEqual(keys.map((key) => expected.get(key)));

    // When a new worker joins
    const joiner = startProjection(accountsProjection(), { redis, store, ...FAST });
    runners.push(joiner as ProjectionRunner<unknown>);
    const joinedAfter = await until(() => joiner.ownedPartitions().length === 2, 5000);

    // Then it gets its share within the member TTL plus a heartbeat
    console.info(
      `[membership ${backend.name}] joiner got its share after ${Math.round(joinedAfter)} ms`,
    );
    expect(joinedAfter).toBeLessThan(JOIN_BOUND_MS);
    expect(survivor.ownedPartitions().length).toBe(2);
    const status = await joiner.status();
    expect(status.workers.length).toBe(2);
    expect(
      ((await survivor.getMany(keys)) as AccountState[]).every((state) => state.violations === 0),
    ).toBe(true);
  });
});
