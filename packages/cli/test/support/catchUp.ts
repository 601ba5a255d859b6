import type { EventCatalog } from "@streamstore/core";
import {
  type Projection,
  type ProjectionRunnerOptions,
  startProjection,
} from "@streamstore/projections";

/**
 * Runs a projection until it has caught up and gone live (its consumer groups at its checkpoints),
 * then stops it: a build the CLI then finds in Redis
 * with nobody running it, so the commands under test are the only ones touching it.
 *
 * @example
 * await catchUp(balances, { redis, prefix, logger: silentLogger, batchSize: 2000 });
 */
export async function catchUp<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: ProjectionRunnerOptions<Catalog>,
  timeoutMs = 60_000,
): Promise<void> {
  const runner = startProjection(projection, options);
  try {
    await runner.waitUntilCaughtUp(undefined, { timeoutMs });
    // Caught up is not yet live: a partition moves its consumer group to the checkpoint (XGROUP
    // SETID) just before it goes live. Stopped before that, the group stays behind, and an
    // archiver (which never trims what a group has not read) then keeps those entries hot.
    const deadline = Date.now() + timeoutMs;
    while (!(await runner.status()).partitions.every((partition) => partition.state === "live")) {
      if (Date.now() > deadline)
        throw new Error(`the projection was not live within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await runner.stop();
  }
}
