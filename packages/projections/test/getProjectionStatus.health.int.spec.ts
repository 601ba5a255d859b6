import { silentLogger } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { getProjectionStatus, startProjection } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { accountsProjection, depositOnceEach } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

describe.each(testBackends())("getProjectionStatus on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);

  it("reports state, checkpoint, lag, pending and consumers per partition, with or without a runner", async () => {
    // Given 20 events in 2 partitions and a runner that caught up
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    await depositOnceEach(store, 20);
    const projection = accountsProjection();
    const runner = startProjection(projection, { redis, store, logger: silentLogger });
    await runner.waitUntilCaughtUp();
    // Caught up in checkpoints; "live" follows once each partition switched to tailing.
    let live = await getProjectionStatus(projection, { redis, prefix });
    for (let i = 0; i < 100 && !live.healthy; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      live = await getProjectionStatus(projection, { redis, prefix });
    }

    // When the runner stops and 5 more events arrive
    await runner.stop();
    for (let i = 0; i < 5; i++) {
      await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
    }
    const stopped = await getProjectionStatus(projection, { redis, prefix });

    // Then the first status is healthy and live, the second shows the lag, and no owner
    expect(live.healthy).toBe(true);
    expect(live.activeBuild).toBe("v1");
    expect(live.workers).toEqual([runner.workerId]);
    expect(live.partitions.map((p) => [p.state, p.lag, p.pending, p.consumers, p.owner])).toEqual([
      ["live", 0, 0, 1, runner.workerId],
      ["live", 0, 0, 1, runner.workerId],
    ]);
    expect(live.partitions.reduce((sum, p) => sum + p.applied, 0)).toBe(20);
    expect(stopped.healthy).toBe(false);
    expect(stopped.workers).toEqual([]);
    expect(stopped.partitions.map((p) => p.state)).toEqual(["stopped", "stopped"]);
    expect(stopped.partitions.reduce((sum, p) => sum + p.lag, 0)).toBe(5);
  });
});
