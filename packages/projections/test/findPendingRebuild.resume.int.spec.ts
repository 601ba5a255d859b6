import { describe, expect, it } from "vitest";
import { findPendingRebuild, requestRebuild, startProjection } from "../src/index.js";
import { projectionKeys } from "../src/internal.js";
import { testBackends } from "./support/backends.js";
import { accountsProjection, depositOnceEach, FAST_RUNNER_OPTIONS } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

const FAST = FAST_RUNNER_OPTIONS;

// Issue 7: `streamstore projections rebuild` run again after Ctrl-C must resume the requested
// build from its checkpoints, not request another generation (which starts over from 0).
describe.each(testBackends())("findPendingRebuild on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);

  it("names a requested build until readers switched to it, and never a retired one", async () => {
    // Given a projection built once
    const { redis, prefix } = keyspace;
    const store = keyspace.store();
    await depositOnceEach(store, 20);
    const projection = accountsProjection();
    const first = startProjection(projection, { redis, store, ...FAST });
    await first.waitUntilCaughtUp();
    await first.stop();
    const beforeRequest = await findPendingRebuild(projection, { redis, prefix });

    // When a rebuild is requested while no runner runs, then a runner builds it
    const requested = await requestRebuild(projection, { redis, prefix });
    const pending = await findPendingRebuild(projection, { redis, prefix });
    const runner = startProjection(projection, { redis, store, ...FAST });
    for (let i = 0; i < 200 && (await runner.activeBuild()) !== requested; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await runner.stop();
    const afterSwitch = await findPendingRebuild(projection, { redis, prefix });
    // A generation counter pointing at a retired build (edited by hand, or an old switch-back).
    await redis.hset(projectionKeys(prefix, projection.name).retired(), "v1.2", "0");
    await redis.set(projectionKeys(prefix, projection.name).generation(1), "2");
    const retired = await findPendingRebuild(projection, { redis, prefix });

    // Then only the requested build waiting for its switch is pending
    expect(beforeRequest).toBeUndefined();
    expect(requested).toBe("v1.1");
    expect(pending).toBe("v1.1");
    expect(await runner.activeBuild()).toBe("v1.1");
    expect(afterSwitch).toBeUndefined();
    expect(retired).toBeUndefined();
  });
});
