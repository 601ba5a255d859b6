import {
  type EventCatalog,
  type EventStore,
  getRedisEventStore,
  type RedisEventStoreOptions,
  silentLogger,
} from "@streamstore/core";
import type { Redis } from "ioredis";

/** Options a contract case may set on a store it creates. */
export type ContractStoreOptions<Catalog extends EventCatalog> = Partial<
  Omit<RedisEventStoreOptions<Catalog>, "redis" | "events">
>;

/** What a contract suite needs from the environment under test. */
export interface EventStoreContractContext {
  /** A raw client on the same data as the stores, to inspect keys and plant hand-written entries. */
  readonly redis: Redis;
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

/**
 * A contract context over any ioredis-compatible client: real Redis, a Cluster, or the fake.
 * Every store gets a random prefix, and `close()` deletes only keys under those prefixes, so a
 * shared server is never flushed.
 *
 * @example
 * testEventStore("real Redis", async () => createContractContext(new Redis(url)));
 */
export function createContractContext(redis: Redis): EventStoreContractContext {
  const prefixes: string[] = [];
  const newPrefix = () => {
    const prefix = `contract-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
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
      for (const prefix of prefixes) {
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== "0");
      }
      await redis.quit();
    },
  };
}
