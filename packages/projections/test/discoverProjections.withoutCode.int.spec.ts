import { silentLogger } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { discoverProjections, getProjectionStatus, startProjection } from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { accountsProjection, depositOnceEach } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

// Issue 7: `streamstore projections status` without a config module finds projections in Redis
// alone and reports them through the same getProjectionStatus as with the code.
describe.each(testBackends())("discoverProjections on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);

  it("finds a projection's name, version, sources and builds from its keys and consumer groups, and its status equals the one computed with the code", async () => {
    // Given a projection that caught up on 2 partitions and went live, and another tenant's projection
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    await depositOnceEach(store, 10);
    const projection = accountsProjection({ name: "accounts", version: 3 });
    const runner = startProjection(projection, { redis, store, logger: silentLogger });
    await runner.waitUntilCaughtUp();
    const otherPrefix = `${prefix}:other`;
    const other = startProjection(accountsProjection({ name: "elsewhere" }), {
      redis,
      prefix: otherPrefix,
      logger: silentLogger,
    });
    for (let i = 0; i < 100; i++) {
      if ((await runner.status()).healthy) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await other.stop();

    // When projections are discovered without the code
    const found = await discoverProjections({ redis, prefix });
    const [discovered] = found;
    const withoutCode = await getProjectionStatus(discovered ?? projection, {
      redis,
      prefix,
      build: discovered?.activeBuild ?? undefined,
    });
    const withCode = await getProjectionStatus(projection, { redis, prefix });
    await runner.stop();

    // Then exactly this tenant's projection is found, with what its code says
    expect(found).toEqual([
      { name: "accounts", version: 3, source: ["account"], activeBuild: "v3", builds: ["v3"] },
    ]);
    expect({ ...withoutCode, workers: [] }).toEqual({ ...withCode, workers: [] });
    expect(withoutCode.partitions).toHaveLength(2);
  });

  it("finds nothing under a prefix no projection ran on", async () => {
    // Given only events
    const { redis, prefix } = keyspace;
    const store = keyspace.store();
    await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);

    // When projections are discovered
    const found = await discoverProjections({ redis, prefix });

    // Then there are none
    expect(found).toEqual([]);
  });
});
