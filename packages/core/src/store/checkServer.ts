import type { Cluster, Redis } from "ioredis";
import { UnsafeServerConfigError } from "../errors/index.js";
import type { Logger } from "../logging/Logger.js";

/** What {@link checkServer} learnt about the server. */
export interface ServerFacts {
  version?: string;
  appendonly?: string;
  appendfsync?: string;
  save?: string;
  maxmemoryPolicy?: string;
  /**
   * The server declares itself an in-memory test double (`streamstore_fake:1` in `INFO server`,
   * as the fake of @streamstore/testing does): it keeps nothing on disk by design, so it is not
   * warned about. Its version and memory policy are still checked.
   */
  inMemoryTestDouble?: boolean;
}

// Warn once per server per process, not once per store: tests and apps create many stores.
const warned = new Set<string>();

function serverIdentity(redis: Redis): string {
  const options = (redis as { options?: { host?: string; port?: number; db?: number } }).options;
  return `${options?.host ?? "?"}:${options?.port ?? "?"}/${options?.db ?? 0}`;
}

function infoField(info: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:(.*)$`, "m").exec(info);
  return match?.[1]?.trim();
}

async function readFacts(redis: Redis): Promise<ServerFacts> {
  const facts: ServerFacts = {};
  const info = (await redis.info("server")) as string;
  facts.version = infoField(info, "redis_version");
  if (infoField(info, "streamstore_fake") === "1") facts.inMemoryTestDouble = true;
  try {
    const replies = await Promise.all(
      ["appendonly", "appendfsync", "save", "maxmemory-policy"].map(
        (name) => redis.call("CONFIG", "GET", name) as Promise<string[]>,
      ),
    );
    [facts.appendonly, facts.appendfsync, facts.save, facts.maxmemoryPolicy] = replies.map(
      (reply) => reply[1],
    );
  } catch {
    // CONFIG is often denied by ACLs or renamed on managed Redis: INFO still tells AOF and policy.
    const persistence = (await redis.info("persistence")) as string;
    const memory = (await redis.info("memory")) as string;
    const aof = infoField(persistence, "aof_enabled");
    if (aof !== undefined) facts.appendonly = aof === "1" ? "yes" : "no";
    facts.maxmemoryPolicy = infoField(memory, "maxmemory_policy");
  }
  return facts;
}

/** Options of {@link checkServer}. */
export interface CheckServerOptions {
  /**
   * Where the persistence warning goes. Without one (the store's default, silent logging), it is
   * emitted once with `process.emitWarning`, so it is still seen, on Node's own channel.
   */
  logger?: Logger;
  /** Accept a `maxmemory-policy` that may evict keys (events would vanish silently). */
  allowEviction: boolean;
}

/**
 * Checks, once, that the server can hold an event store: Redis 7 or later, and a
 * `maxmemory-policy` that never evicts (refused otherwise unless `allowEviction`); warns once per
 * server when nothing is persisted, naming the setting that fixes it, unless the server declares
 * itself an in-memory test double (see {@link ServerFacts.inMemoryTestDouble}). On a Cluster every primary
 * is checked (and warned about) on its own. See docs/durability.md and docs/cluster.md.
 *
 * @example
 * await checkServer(redis, { allowEviction: false }); // warns with process.emitWarning
 */
export async function checkServer(
  redis: Redis | Cluster,
  options: CheckServerOptions,
): Promise<ServerFacts> {
  if (!(redis as { isCluster?: boolean }).isCluster) return checkOneServer(redis as Redis, options);
  // A Cluster sends a keyless INFO or CONFIG to one random primary: check each one instead, since
  // a single evicting or non-persisting primary loses the events of its slots (issue 6).
  const cluster = redis as Cluster;
  if (cluster.nodes("master").length === 0) await cluster.ping();
  let first: ServerFacts | undefined;
  for (const node of cluster.nodes("master")) {
    const facts = await checkOneServer(node, options);
    first ??= facts;
  }
  return first ?? {};
}

async function checkOneServer(redis: Redis, options: CheckServerOptions): Promise<ServerFacts> {
  const facts = await readFacts(redis);
  const major = Number(facts.version?.split(".")[0]);
  if (Number.isFinite(major) && major < 7) {
    throw new UnsafeServerConfigError(
      "version",
      facts.version ?? "?",
      "streamstore needs Redis 7 or later (its scripts use Redis 7 script flags): upgrade the server.",
    );
  }
  const policy = facts.maxmemoryPolicy;
  if (policy !== undefined && policy !== "noeviction" && !options.allowEviction) {
    throw new UnsafeServerConfigError(
      "maxmemory-policy",
      policy,
      "this policy lets Redis evict keys when memory is full, and evicted events are lost without any error. Run CONFIG SET maxmemory-policy noeviction (and persist it in redis.conf), or pass allowEviction: true if you accept that.",
    );
  }
  const identity = serverIdentity(redis);
  if (!warned.has(identity) && !facts.inMemoryTestDouble) {
    const noAof = facts.appendonly === "no";
    const noRdb = facts.save === "";
    const fields = {
      server: identity,
      setting: "appendonly",
      value: facts.appendonly,
      save: facts.save,
    };
    if (noAof && (noRdb || facts.save === undefined)) {
      warned.add(identity);
      warn(
        options,
        fields,
        "STREAMSTORE_NO_PERSISTENCE",
        `[streamstore] this Redis (${identity}) keeps nothing on disk (appendonly no${noRdb ? ', save ""' : ""}): a restart loses every event. For an event store run "CONFIG SET appendonly yes" with appendfsync everysec or always (see "Durability" in the @streamstore/core README).`,
      );
    } else if (noAof) {
      warned.add(identity);
      warn(
        options,
        fields,
        "STREAMSTORE_RDB_ONLY",
        `[streamstore] this Redis (${identity}) persists only RDB snapshots (save "${facts.save}"): a crash loses every event since the last snapshot. Run "CONFIG SET appendonly yes" (see "Durability" in the @streamstore/core README).`,
      );
    }
  }
  return facts;
}

// The design brief wants this warning seen once, clearly, even though logging is silent by
// default (issue 7): without a logger it goes to Node's warning channel, printed on stderr once
// and silenced only on purpose (--no-warnings, or a "warning" listener).
function warn(
  options: CheckServerOptions,
  fields: Record<string, unknown>,
  code: string,
  message: string,
): void {
  if (options.logger) options.logger.warn({ ...fields, code }, message);
  else process.emitWarning(message, { type: "StreamstoreWarning", code });
}
