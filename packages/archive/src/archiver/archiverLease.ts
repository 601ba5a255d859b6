import { randomUUID } from "node:crypto";
import { defineFunctionLibrary, runFunction } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";

/**
 * KEYS[1] the lease key. ARGV[1] our token, ARGV[2] the lease time in ms. Extends the lease when
 * it is still ours. Reply 1 extended, 0 not ours (expired and maybe taken).
 */
const RENEW_ARCHIVER_LEASE_SCRIPT = `#!lua
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return 1
`;

/** KEYS[1] the lease key. ARGV[1] our token. Deletes the lease when it is ours. Reply 1 or 0. */
const RELEASE_ARCHIVER_LEASE_SCRIPT = `#!lua
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("DEL", KEYS[1])
return 1
`;

/**
 * The Redis Functions library of @streamstore/archive: the archiver's lease renewal and release
 * (its trim is core's `archive_trim`). The archiver loads it on first use where it is missing; a
 * deployment whose application user may not load functions loads it once with
 * `streamstore functions install` or `installFunctionLibraries(redis, [archiveFunctionLibrary])`.
 *
 * @example
 * await installFunctionLibraries(adminRedis, [coreFunctionLibrary, archiveFunctionLibrary]);
 */
export const archiveFunctionLibrary = defineFunctionLibrary("archive", {
  release_lease: RELEASE_ARCHIVER_LEASE_SCRIPT,
  renew_lease: RENEW_ARCHIVER_LEASE_SCRIPT,
});

const { release_lease: RELEASE, renew_lease: RENEW } = archiveFunctionLibrary.functions;

/**
 * One archiver's lease on one category partition: a Redis string holding the owner's token,
 * with a TTL. Only the holder's trim runs (the trim script compares the token in the same atomic
 * step), so an archiver that stalls past its lease (GC pause, SIGSTOP, a slow archive) and
 * wakes up after another took over changes nothing in Redis; what it wrote to the archive is
 * idempotent.
 *
 * @example
 * const lease = archiverLease(redis, keys.archiver("order", 0), "worker-1", 15_000);
 * if (await lease.hold()) await trimArchived(redis, keys, { ...step, token: lease.token });
 */
export function archiverLease(redis: Redis | Cluster, key: string, workerId: string, ms: number) {
  let token = `${workerId}:${randomUUID()}`;
  let held = false;
  return {
    get token(): string {
      return token;
    },
    /** Takes the lease if free, or extends it if ours; resolves whether it is ours now. */
    async hold(): Promise<boolean> {
      if (
        held &&
        (await runFunction(redis, archiveFunctionLibrary, RENEW, [key], [token, ms])) === 1
      )
        return true;
      if (held) token = `${workerId}:${randomUUID()}`;
      held = (await redis.set(key, token, "PX", ms, "NX")) === "OK";
      return held;
    },
    /** Gives the lease up (if still ours), so another archiver need not wait for it to expire. */
    async release(): Promise<void> {
      if (held) await runFunction(redis, archiveFunctionLibrary, RELEASE, [key], [token]);
      held = false;
    },
  };
}

/** The lease of {@link archiverLease}. */
export type ArchiverLease = ReturnType<typeof archiverLease>;
