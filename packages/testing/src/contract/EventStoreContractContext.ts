import {
  type EventCatalog,
  type EventStore,
  getRedisEventStore,
  type RedisEventStoreOptions,
  silentLogger,
} from "@streamstore/core";
import type { Cluster, Redis } from "ioredis";

/** Options a contract case may set on a store it creates. */
export type ContractStoreOptions<Catalog extends EventCatalog> = Partial<
  Omit<RedisEventStoreOptions<Catalog>, "redis" | "events">
>;

/** What a contract suite needs from the environment under test. */
export interface EventStoreContractContext<Client extends Redis | Cluster = Redis | Cluster> {
  /**
   * A raw client on the same data as the stores, to inspect keys and plant hand-written entries.
   * List keys with {@link scanKeys}: `SCAN` on a `Cluster` client reaches one node only.
   */
  readonly redis: Client;
  /**
   * Creates a store over `events`; each call gets a key prefix of its own unless `options.prefix`
   * is given (to share one between two stores).
   */
  createStore<Catalog extends EventCatalog>(
    events: Catalog,
    options?: ContractStoreOptions<Catalog>,
  ): EventStore<Catalog>;
  /** A fresh unique key prefix. */
  newPrefix(): string;
  /** Deletes the keys under every prefix this context handed out, and closes its clients. */
  close(): Promise<void>;
}

function isCluster(redis: Redis | Cluster): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * Every key matching a `SCAN` pattern, on a single server or on every primary of a Cluster (an
 * ioredis `Cluster` sends a keyless `SCAN` to one node, so it would miss the others' keys).
 *
 * @example
 * const keys = await scanKeys(new Cluster(startupNodes), "contract-abc:*");
 */
export async function scanKeys(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  const servers: Redis[] = isCluster(redis) ? redis.nodes("master") : [redis];
  const found = new Set<string>();
  for (const server of servers) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      for (const key of keys) found.add(key);
    } while (cursor !== "0");
  }
  return [...found];
}

/**
 * Every key matching a `SCAN` pattern with its type and whole contents (strings byte for byte:
 * aggregate indexes are binary), and with `{ ttl: true }` its TTL (PTTL, which a user made from
 * `aclRuleFor` may not run), sorted by key: compare two dumps to prove a refused call wrote nothing.
 *
 * @example
 * const before = await dumpKeys(redis, "contract-abc:*");
 * // ... a call that must be refused ...
 * expect(await dumpKeys(redis, "contract-abc:*")).toEqual(before);
 */
export async function dumpKeys(
  redis: Redis | Cluster,
  pattern: string,
  options: { ttl?: boolean } = {},
): Promise<Record<string, { type: string; ttl?: number; value: unknown }>> {
  const dump: Record<string, { type: string; ttl?: number; value: unknown }> = {};
  for (const key of (await scanKeys(redis, pattern)).sort()) {
    const type = await redis.type(key);
    let value: unknown = null;
    if (type === "stream") value = await redis.xrange(key, "-", "+");
    else if (type === "hash") value = await redis.hgetall(key);
    else if (type === "string") value = await redis.getBuffer(key);
    dump[key] = options.ttl ? { type, ttl: await redis.pttl(key), value } : { type, value };
  }
  return dump;
}

/**
 * Deletes every key matching a `SCAN` pattern, one key per command so that keys of different
 * Cluster slots never meet in one `DEL` (CROSSSLOT). Works on a single server, a Cluster or the fake.
 *
 * @example
 * await deleteKeys(redis, "contract-abc:*");
 */
export async function deleteKeys(redis: Redis | Cluster, pattern: string): Promise<number> {
  const keys = await scanKeys(redis, pattern);
  if (!isCluster(redis)) {
    for (let start = 0; start < keys.length; start += 1000)
      await redis.del(...keys.slice(start, start + 1000));
    return keys.length;
  }
  // The Cluster client routes each single-key DEL to the key's primary.
  await Promise.all(keys.map((key) => redis.del(key)));
  return keys.length;
}

/**
 * A contract context over any ioredis-compatible client: real Redis, a Cluster, or the fake.
 * Every store gets a random prefix, and `close()` deletes only keys under those prefixes (on
 * every primary of a Cluster), so a shared server is never flushed.
 *
 * `options.under` puts every prefix under one (`<under>:contract-…`): for a user whose ACL
 * (see `aclRuleFor`) allows only that prefix's keys.
 *
 * @example
 * testEventStore("real Redis", async () => createContractContext(new Redis(url)));
 * testEventStore("Redis Cluster", async () => createContractContext(new Cluster(startupNodes)));
 * testEventStore("ACL user", async () => createContractContext(tenantRedis, { under: "tenant" }));
 */
export function createContractContext<Client extends Redis | Cluster>(
  redis: Client,
  options: { under?: string } = {},
): EventStoreContractContext<Client> {
  const prefixes: string[] = [];
  const under = options.under === undefined ? "" : `${options.under}:`;
  const newPrefix = () => {
    const prefix = `${under}contract-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    prefixes.push(prefix);
    return prefix;
  };
  return {
    redis,
    newPrefix,
    createStore(events, options = {}) {
      return getRedisEventStore({
        redis,
        events,
        logger: silentLogger,
        ...options,
        prefix: options.prefix ?? newPrefix(),
      });
    },
    async close() {
      for (const prefix of prefixes) await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    },
  };
}
