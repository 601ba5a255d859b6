import { assertKeyPrefix } from "../keys/keyLayout.js";

/** Options of {@link aclRuleFor}. */
export interface AclRuleOptions {
  /**
   * Allow `SCAN`, which projections use to delete the keys of a retired build (and the contract
   * suites to clean up). Redis does not filter `SCAN` by key pattern: it shows the user the
   * *names* (never the values) of every key of the database. Default true; without it, dropping
   * a retired projection build fails with `NOPERM`.
   */
  scan?: boolean;
  /**
   * Allow `WAIT`, needed only by appends with `durability` (replica acknowledgements). Default true.
   */
  wait?: boolean;
}

/** The defaults of {@link AclRuleOptions}. */
export const DEFAULT_ACL_RULE_OPTIONS = { scan: true, wait: true } as const;

// Every command streamstore sends, directly or from its Lua scripts (Redis checks the commands a
// script calls against the caller's ACL too). Derived from core (append/read/version/snapshot
// scripts, the categories hash, the server check), the projection runner (leases, fences,
// read-model commit scripts, consumer groups, claims, dead letters, rebuild and cleanup) and
// reactors; the ACL test of @streamstore/testing runs the whole event-store contract, a
// projection and a reactor as such a user, so a missing command fails CI with NOPERM.
const COMMANDS = [
  // scripts: ioredis defineCommand sends EVALSHA, and EVAL once after NOSCRIPT
  "evalsha",
  "eval",
  // streams
  "xadd",
  "xrange",
  "xrevrange",
  "xlen",
  "xdel",
  // XTRIM: not sent by streamstore itself, but retention of a tenant's own logs is theirs to run
  "xtrim",
  "xinfo|stream",
  "xinfo|groups",
  "xinfo|consumers",
  "xgroup|create",
  "xgroup|setid",
  "xgroup|destroy",
  "xgroup|createconsumer",
  "xgroup|delconsumer",
  "xreadgroup",
  "xack",
  "xautoclaim",
  // hashes: categories, checkpoints, members, attempts, states, snapshots, retired builds
  "hget",
  "hset",
  "hsetnx",
  "hdel",
  "hgetall",
  "hincrby",
  // strings: read-model documents, leases, fences, active build, generations
  "get",
  "set",
  "mget",
  "incr",
  "pexpire",
  // keys
  "exists",
  "del",
  "unlink",
  // TYPE: not sent by streamstore; the contract suites (testEventStore) dump keys with it
  "type",
  // transactions
  "multi",
  "exec",
  // server: TIME for lease clocks, PING for liveness, INFO for the server check and ioredis's
  // ready check. INFO shows server facts (version, memory, persistence, client counts), no data.
  // CONFIG is left out on purpose: CONFIG GET reads secrets such as masterauth, and the server
  // check falls back to INFO when CONFIG is refused.
  "time",
  "ping",
  "info",
] as const;

/**
 * The `ACL SETUSER` rules for a Redis user that can run streamstore (event store, projections,
 * reactors) under one key prefix and nothing else: its keys only (`~<prefix>:*`), no pub/sub
 * channels, and only the commands streamstore sends. Prepend the user name, `on` and a password:
 * `ACL SETUSER app on >secret <rules...>`. A prefix that extends this one after a `:`
 * (`shop:eu`) is inside it. See docs/security.md.
 *
 * @example
 * await admin.call("ACL", "SETUSER", "shop", "on", ">s3cret", ...aclRuleFor("shop"));
 * const store = getRedisEventStore({ redis: new Redis({ username: "shop", password: "s3cret" }), events, prefix: "shop" });
 */
export function aclRuleFor(prefix: string, options: AclRuleOptions = {}): string[] {
  // Prefixes are letters, digits, "_", ".", ":" and "-": never a glob character, so the key
  // pattern matches exactly the prefix's keys.
  assertKeyPrefix(prefix);
  const scan = options.scan ?? DEFAULT_ACL_RULE_OPTIONS.scan;
  const wait = options.wait ?? DEFAULT_ACL_RULE_OPTIONS.wait;
  return [
    "resetkeys",
    `~${prefix}:*`,
    "resetchannels",
    "-@all",
    ...COMMANDS.map((command) => `+${command}`),
    ...(scan ? ["+scan"] : []),
    ...(wait ? ["+wait"] : []),
  ];
}
