import type { EventCatalog, EventOf } from "../events/defineEvents.js";
import { checkCategoryRead } from "./checkCategoryRead.js";
import type { EventStore } from "./EventStore.js";
import {
  type CategoryReadContext,
  iterateCategoryEvents,
  readCategoryPage,
} from "./readCategory.js";
import type { StoreContext } from "./storeContext.js";

/**
 * `store.readCategory` (one page) and `store.iterateCategory` (every event, page after page) of a
 * store from `getRedisEventStore`. The options are checked at the call. A category never written
 * is refused (the categories hash records each one at its first write), with HGET and HGETALL
 * only: what a user made from aclRuleFor may run.
 *
 * @example
 * const { readCategory, iterateCategory } = createCategoryReads(context);
 * const page = await readCategory("account", { limit: 100 });
 */
export function createCategoryReads<Catalog extends EventCatalog>(
  context: StoreContext<Catalog>,
): Pick<EventStore<Catalog>, "readCategory" | "iterateCategory"> {
  const { redis, keys, readPageSize } = context;
  const reads: CategoryReadContext = {
    redis,
    catalog: context.catalog,
    archive: context.archive,
    keys,
    keyRing: context.readKeyRing,
    partitionsOf: (category) => context.locator.recordedPartitionsOf(category),
    knownCategories: async () => Object.keys(await redis.hgetall(keys.categories())).sort(),
  };
  return {
    readCategory(category, readOptions) {
      try {
        const plan = checkCategoryRead(category, readOptions, "page", readPageSize);
        return readCategoryPage<EventOf<Catalog>>(reads, plan);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    iterateCategory(category, readOptions) {
      const plan = checkCategoryRead(category, readOptions, "all", readPageSize);
      return {
        [Symbol.asyncIterator]: () => iterateCategoryEvents<EventOf<Catalog>>(reads, plan),
      };
    },
  };
}
