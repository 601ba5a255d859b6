import { InvalidArgumentError } from "../errors/index.js";
import { assertKeyPrefix } from "../keys/keyLayout.js";

/**
 * Who the rule is for (see {@link AclRuleOptions.role}).
 *
 * @example
 * const role: AclRole = "operator-readonly";
 */
export type AclRole = "runtime" | "operator" | "operator-readonly";

/** Options of {@link aclRuleFor}. */
export interface AclRuleOptions {
  /**
   * `"runtime"` (default): what the application needs (event store, projections, reactors).
   * `"operator"`: that, plus the read-only inspection commands of the `streamstore` CLI and its
   * dashboard (`XREAD` for `tail`, `MEMORY USAGE` for `categories`, `CLUSTER NODES` and
   * `ACL WHOAMI` for `doctor`); `projections rebuild` and `dlq retry|discard` run the runtime's
   * write paths. `"operator-readonly"`: the reads of both, no command that writes: every CLI
   * command but `projections rebuild` and `dlq retry|discard`, and the dashboard. Neither
   * operator role gets `CONFIG` (it shows secrets such as `masterauth`): `doctor` reads the
   * settings from `INFO` and reports `appendfsync` as unknown. See docs/security.md.
   */
  role?: AclRole;
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
export const DEFAULT_ACL_RULE_OPTIONS = { role: "runtime", scan: true, wait: true } as const;

// Every command streamstore sends, directly or from its Lua scripts (Redis checks the commands a
// script calls against the caller's ACL too). Derived from core (append/read/version/snapshot
// scripts, the categories hash, the server check), the archiver (its lease, the trim script:
// XTRIM, SET, GETRANGE, HSET, HINCRBY), the projection runner (leases, fences,
// read-model commit scripts, consumer groups, claims, dead letters, rebuild and cleanup) and
// reactors; the ACL test of @streamstore/testing runs the whole event-store contract, a
// projection and a reactor as such a user, so a missing command fails CI with NOPERM.
const COMMANDS = [
  // the toolkit's scripts run as Redis Functions: FCALL, and FCALL_RO for the read-only ones
  // (aggregate reads, versions). No EVAL, EVALSHA, SCRIPT or FUNCTION: this user cannot run Lua
  // of its own, only the functions an operator loaded (`streamstore functions install`).
  "fcall",
  "fcall_ro",
  // streams
  "xadd",
  "xrange",
  "xrevrange",
  // XREAD (never BLOCK here): an aggregate read of more than a few versions fetches their log
  // entries by position in one call, after the read script answered the positions
  "xread",
  "xlen",
  "xdel",
  // XTRIM: the archiver's trim script, once the archive has committed what it trims
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
  // XPENDING (summary): the archiver never trims an entry a consumer group still holds pending
  "xpending",
  // hashes: categories, checkpoints, members, attempts, states, snapshots, retired builds
  "hget",
  // HMGET: a projection's log read takes the archive seam's position and count in one call
  "hmget",
  "hset",
  "hsetnx",
  "hdel",
  "hgetall",
  "hincrby",
  // strings: aggregate indexes (also read by the CLI), the layout marker, read-model documents,
  // leases, fences, active build, generations
  "get",
  "set",
  "strlen",
  "getrange",
  "append",
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
  // CLUSTER SLOTS and CLUSTER INFO: how an ioredis Cluster client learns which primary serves
  // which slot and checks the cluster is up; without them a Cluster client never starts ("Failed
  // to refresh slots cache"). Node addresses and cluster state, no data.
  "cluster|slots",
  "cluster|info",
] as const;

// The runtime commands that only read: an "operator-readonly" user keeps these. FCALL stays out;
// FCALL_RO stays in: Redis refuses it any function not flagged no-writes (and a function's own
// commands are checked against the ACL too), and aggregate reads run with it.
const READ_COMMANDS: ReadonlySet<string> = new Set([
  "fcall_ro",
  "strlen",
  "getrange",
  "xrange",
  "xrevrange",
  "xread",
  "xlen",
  "xinfo|stream",
  "xinfo|groups",
  "xinfo|consumers",
  "xpending",
  "hget",
  "hmget",
  "hgetall",
  "get",
  "mget",
  "exists",
  "type",
  "time",
  "ping",
  "info",
  "cluster|slots",
  "cluster|info",
]);

// What the `streamstore` CLI and dashboard send on top of the runtime's reads, from its sources
// (packages/cli/src; issue 7): every one reads, none returns a secret.
// (`tail` follows the partition logs without a consumer group with XREAD, which every role has.)
const INSPECTION_COMMANDS = [
  // `categories`: the memory of each partition log
  "memory|usage",
  // `doctor`: the primaries of a Cluster (INFO cluster tells cluster mode), the user's name
  "cluster|nodes",
  "acl|whoami",
] as const;

/**
 * The `ACL SETUSER` rules for a Redis user that can run streamstore (event store, projections,
 * reactors) under one key prefix and nothing else: its keys only (`~<prefix>:*`), no pub/sub
 * channels, and only the commands streamstore sends. Prepend the user name, `on` and a password:
 * `ACL SETUSER app on >secret <rules...>`. A prefix that extends this one after a `:`
 * (`shop:eu`) is inside it. `{ role: "operator" }` adds what the `streamstore` CLI needs to
 * inspect the prefix; `{ role: "operator-readonly" }` gives those reads only. Such a user runs
 * the toolkit's Lua as Redis Functions (`FCALL`) and no Lua of its own, so an admin loads the
 * libraries once per server: `streamstore functions install`, or `installFunctionLibraries`
 * (see "Redis Functions" in the @streamstore/core README).
 *
 * @example
 * await admin.call("ACL", "SETUSER", "shop", "on", ">s3cret", ...aclRuleFor("shop"));
 * await installFunctionLibraries(admin, [coreFunctionLibrary, projectionsFunctionLibrary]);
 * const store = getRedisEventStore({ redis: new Redis({ username: "shop", password: "s3cret" }), events, prefix: "shop" });
 * // The operator running `streamstore tail`, `categories`, `projections rebuild`, `dlq retry`:
 * await admin.call("ACL", "SETUSER", "ops", "on", ">0ps", ...aclRuleFor("shop", { role: "operator" }));
 */
export function aclRuleFor(prefix: string, options: AclRuleOptions = {}): string[] {
  // Prefixes are letters, digits, "_", ".", ":" and "-": never a glob character, so the key
  // pattern matches exactly the prefix's keys.
  assertKeyPrefix(prefix);
  const scan = options.scan ?? DEFAULT_ACL_RULE_OPTIONS.scan;
  const wait = options.wait ?? DEFAULT_ACL_RULE_OPTIONS.wait;
  const role = options.role ?? DEFAULT_ACL_RULE_OPTIONS.role;
  if (role !== "runtime" && role !== "operator" && role !== "operator-readonly") {
    throw new InvalidArgumentError(
      "role",
      `${JSON.stringify(role)} must be "runtime", "operator" or "operator-readonly".`,
    );
  }
  const readonly = role === "operator-readonly";
  const commands: readonly string[] = readonly
    ? COMMANDS.filter((command) => READ_COMMANDS.has(command))
    : COMMANDS;
  return [
    "resetkeys",
    `~${prefix}:*`,
    "resetchannels",
    "-@all",
    ...commands.map((command) => `+${command}`),
    ...(role === "runtime" ? [] : INSPECTION_COMMANDS.map((command) => `+${command}`)),
    ...(scan ? ["+scan"] : []),
    // WAIT makes a write durable on replicas: a reader never needs it.
    ...(wait && !readonly ? ["+wait"] : []),
  ];
}
