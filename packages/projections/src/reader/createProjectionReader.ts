import { type EventCatalog, InvalidArgumentError } from "@streamstore/core";
import { assertRedisClient } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { assertReadModelKey, type Projection } from "../projection/defineProjection.js";
import { createRedisReadModelStore } from "../readModel/createRedisReadModelStore.js";
import type { ReadModelStore } from "../readModel/ReadModelStore.js";

/**
 * Reads a projection's documents from the build readers currently use.
 *
 * @example
 * const reader: ProjectionReader<{ balance: number }> = createProjectionReader(balances, { redis });
 */
export interface ProjectionReader<StateType> {
  /** The document of `key`, or undefined when no event touched it yet. */
  get(key: string): Promise<StateType | undefined>;
  /** The documents of `keys`, in order. */
  getMany(keys: readonly string[]): Promise<(StateType | undefined)[]>;
  /** The build being read (after the cache), or null before any runner started. */
  activeBuild(): Promise<string | null>;
  /** Forgets the cached active-build pointer (the next read looks it up). */
  refresh(): void;
}

/**
 * Options of {@link createProjectionReader}.
 *
 * @example
 * createProjectionReader(balances, { redis, prefix: "shop", activeBuildCacheMs: 500 });
 */
export interface ProjectionReaderOptions {
  /** The read-model store; or `redis` (+ `prefix`) for the Redis one. */
  readModel?: ReadModelStore;
  redis?: Redis | Cluster;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /**
   * How long the active-build pointer is cached, ms. Must stay well below the runner's
   * `rebuildGraceMs`, so a reader never reads a build whose keys were deleted. Default 1000.
   */
  activeBuildCacheMs?: number;
}

/**
 * The defaults of {@link ProjectionReaderOptions}.
 *
 * @example
 * createProjectionReader(balances, { redis, activeBuildCacheMs: DEFAULT_PROJECTION_READER_OPTIONS.activeBuildCacheMs });
 */
export const DEFAULT_PROJECTION_READER_OPTIONS = {
  prefix: "ss",
  activeBuildCacheMs: 1000,
} as const;

/**
 * Creates a reader of a projection's read model. It follows the active-build pointer, so a rebuild
 * switches it atomically from the old complete build to the new caught-up one.
 *
 * @example
 * const reader = createProjectionReader(balances, { redis, prefix: "shop" });
 * const account = await reader.get("account-1");
 */
export function createProjectionReader<Catalog extends EventCatalog, StateType>(
  projection: Projection<Catalog, StateType>,
  options: ProjectionReaderOptions,
): ProjectionReader<StateType> {
  const readModel =
    options.readModel ??
    (() => {
      if (!options.redis) {
        throw new InvalidArgumentError("reader options", "pass `readModel` or `redis`.");
      }
      assertRedisClient(options.redis);
      return createRedisReadModelStore({
        redis: options.redis,
        prefix: options.prefix ?? DEFAULT_PROJECTION_READER_OPTIONS.prefix,
        name: projection.name,
      });
    })();
  const cacheMs =
    options.activeBuildCacheMs ?? DEFAULT_PROJECTION_READER_OPTIONS.activeBuildCacheMs;
  let cached: { build: string | null; until: number } | undefined;
  const activeBuild = async (): Promise<string | null> => {
    const now = performance.now();
    if (cached && cached.until > now) return cached.build;
    const build = await readModel.readActiveBuild();
    cached = { build, until: now + cacheMs };
    return build;
  };
  const getMany = async (keys: readonly string[]): Promise<(StateType | undefined)[]> => {
    for (const key of keys) assertReadModelKey(key);
    const build = await activeBuild();
    if (build === null) return keys.map(() => undefined);
    const documents = await readModel.loadDocuments(build, keys);
    return documents.map((document) => document?.state as StateType | undefined);
  };
  return {
    getMany,
    get: async (key) => (await getMany([key]))[0],
    activeBuild,
    refresh: () => {
      cached = undefined;
    },
  };
}
