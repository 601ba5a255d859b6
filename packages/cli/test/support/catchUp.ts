import type { EventCatalog } from "@streamstore/core";
import {
  type Projection,
  type ProjectionRunnerOptions,
  startProjection,
} from "@streamstore/projections";

/**
 * Runs a projection until it has caught up, then stops it: a build the CLI then finds in Redis
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
  } finally {
    await runner.stop();
  }
}
