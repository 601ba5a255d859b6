import type { Cluster, Redis } from "ioredis";
import type { ProjectionKeys } from "../keys/projectionKeys.js";
import { serversOf } from "../runner/redisCommands.js";

/**
 * Unlinks every key of one projection build (`keys.buildPattern`, which refuses anything but a
 * build id, so the pattern cannot widen). A build's keys share its hash tag, so on a Cluster they
 * sit on one primary, but a keyless SCAN on the Cluster client would visit one random node: every
 * primary is scanned. The one way the toolkit deletes a build's keys (the Redis read model store's
 * `dropBuild`, and the runner's clean-up of retired builds of other stores' projections).
 *
 * @example
 * await unlinkBuildKeys(redis, projectionKeys("shop", "balances"), "v1");
 */
export async function unlinkBuildKeys(
  redis: Redis | Cluster,
  keys: Pick<ProjectionKeys, "buildPattern">,
  build: string,
): Promise<void> {
  for (const server of serversOf(redis)) {
    let cursor = "0";
    do {
      const [next, found] = await server.scan(
        cursor,
        "MATCH",
        keys.buildPattern(build),
        "COUNT",
        1000,
      );
      cursor = next;
      if (found.length > 0) await server.unlink(found);
    } while (cursor !== "0");
  }
}
