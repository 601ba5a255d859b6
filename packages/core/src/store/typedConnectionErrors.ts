import type { Cluster, Redis } from "ioredis";
import { connectionFailure } from "../connection/redisFailure.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { EventStore } from "./EventStore.js";

type AsyncMethod = (...args: never[]) => Promise<unknown>;

// The store's methods that reach Redis and return a promise (read and iterateCategory return
// iterables).
const ASYNC_METHODS = [
  "append",
  "version",
  "exists",
  "readSnapshot",
  "writeSnapshot",
  "partitionsOf",
  "locate",
  "forgetSubject",
  "readCategory",
] as const;

/**
 * The one place where the event store turns the driver's connection failures into typed errors:
 * every operation of `store` that reaches Redis rejects with `RedisUnavailableError` (ioredis's
 * `MaxRetriesPerRequestError`, "Connection is closed.", ECONNREFUSED, ...) or `RedisAuthError`
 * (WRONGPASS, NOAUTH) naming the masked URL, the driver's error as `cause`; any other error
 * passes through as it is. Mutates and returns `store`.
 *
 * @example
 * return withTypedConnectionErrors(store, redis);
 */
export function withTypedConnectionErrors<Catalog extends EventCatalog>(
  store: EventStore<Catalog>,
  redis: Redis | Cluster,
): EventStore<Catalog> {
  const typed = (error: unknown): never => {
    throw connectionFailure(error, redis) ?? error;
  };
  const methods = store as unknown as Record<string, AsyncMethod>;
  for (const name of ASYNC_METHODS) {
    const method = methods[name];
    if (method === undefined) continue;
    methods[name] = (...args) => method.apply(store, args).catch(typed);
  }
  const typedIterable = <Item>(iterable: AsyncIterable<Item>): AsyncIterable<Item> => ({
    [Symbol.asyncIterator]() {
      const iterator = iterable[Symbol.asyncIterator]();
      return {
        next: (...args) => iterator.next(...args).catch(typed),
        return: (value) =>
          iterator.return
            ? iterator.return(value).catch(typed)
            : Promise.resolve({ done: true as const, value }),
      };
    },
  });
  const { read, iterateCategory } = store;
  store.read = (streamName, options) => typedIterable(read.call(store, streamName, options));
  store.iterateCategory = (category, options) =>
    typedIterable(iterateCategory.call(store, category, options));
  return store;
}
