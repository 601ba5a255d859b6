import type { Cluster, Redis } from "ioredis";
import { runProjectionsFunction } from "../readModel/projectionsFunctionLibrary.js";

/**
 * The runner's membership and lease functions (the projections function library).
 *
 * @example
 * const token = await leaseScripts(redis).acquire(keys.lease(build, field), keys.fence(build, field), workerId, 3000);
 */
export interface LeaseScripts {
  /** Takes a free lease: the new fence token, or 0 when another worker holds it. */
  acquire(lease: string, fence: string, worker: string, ttl: number): Promise<number>;
  /** Renews (a ttl) or gives up ("release") a lease held as `holder`: 1 when it was ours. */
  renew(lease: string, holder: string, ttlOrRelease: number | string): Promise<number>;
  /** Marks the worker alive (a ttl) or gone ("leave"); the live members. */
  heartbeat(members: string, worker: string, ttlOrLeave: number | string): Promise<string[]>;
}

/**
 * The lease functions, called through `redis`.
 *
 * @example
 * await leaseScripts(redis).heartbeat(keys.members(build), workerId, "leave");
 */
export function leaseScripts(redis: Redis | Cluster): LeaseScripts {
  return {
    acquire: async (lease, fence, worker, ttl) =>
      Number(await runProjectionsFunction(redis, "acquire_lease", [lease, fence], [worker, ttl])),
    renew: async (lease, holder, ttlOrRelease) =>
      Number(await runProjectionsFunction(redis, "renew_lease", [lease], [holder, ttlOrRelease])),
    heartbeat: async (members, worker, ttlOrLeave) =>
      (await runProjectionsFunction(
        redis,
        "heartbeat",
        [members],
        [worker, ttlOrLeave],
      )) as string[],
  };
}
