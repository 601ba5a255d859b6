import type { Cluster, Redis } from "ioredis";
import { CorruptCategoryRegistryError, InvalidArgumentError } from "../errors/index.js";
import { assertCategory, type KeyLayout } from "../keys/keyLayout.js";
import { MAX_PARTITIONS } from "./limits.js";

// A partition count as streamstore writes it (String(n), 1 <= n <= MAX_PARTITIONS): no sign,
// exponent, fraction, spaces or leading zeros.
const PARTITION_COUNT = /^[1-9][0-9]{0,3}$/;

const shorten = (text: string): string => (text.length > 80 ? `${text.slice(0, 80)}…` : text);

/**
 * Checks one entry of the category registry (`keys.categories()`: category → partition count) as
 * read from Redis: the field must be a category name and the value a whole number from 1 to
 * `MAX_PARTITIONS`, written as streamstore writes it. Anything else (`1e10`, `-1`, `abc`,
 * `100000000`) throws `CorruptCategoryRegistryError` naming the key and field: a count read as
 * it is would make readers allocate or loop over that many partitions.
 *
 * @example
 * parsePartitionCount("ss:categories", "account", "4"); // 4
 */
export function parsePartitionCount(registryKey: string, category: string, value: unknown): number {
  try {
    assertCategory(category);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new CorruptCategoryRegistryError(
      registryKey,
      shorten(String(category)),
      shorten(String(value)),
      'the field is not a category name (a letter, then letters, digits, "_" or ".", at most 100)',
    );
  }
  const text = String(value);
  if (typeof value !== "string" || !PARTITION_COUNT.test(text) || Number(text) > MAX_PARTITIONS) {
    throw new CorruptCategoryRegistryError(
      registryKey,
      category,
      shorten(text),
      `a partition count is a whole number from 1 to ${MAX_PARTITIONS}`,
    );
  }
  return Number(text);
}

/**
 * The partition count the registry records for `category`, checked with
 * {@link parsePartitionCount}; undefined when the category was never written.
 *
 * @example
 * const partitions = (await readPartitionCount(redis, keys, "account")) ?? 1;
 */
export async function readPartitionCount(
  redis: Redis | Cluster,
  keys: KeyLayout,
  category: string,
): Promise<number | undefined> {
  const value = await redis.hget(keys.categories(), category);
  return value === null ? undefined : parsePartitionCount(keys.categories(), category, value);
}

/** The category registry as {@link readCategoryRegistry} reads it. */
export interface CategoryRegistry {
  /** The valid entries, sorted by category. */
  categories: { category: string; partitions: number }[];
  /** One error per entry that is not valid (sorted by field), naming the key and field. */
  invalid: CorruptCategoryRegistryError[];
}

/**
 * Reads the whole category registry (one HGETALL), each entry checked with
 * {@link parsePartitionCount}: the valid ones to use, the others as errors to report, so that a
 * reader of every category (the CLI, discovery) goes on with the valid ones.
 *
 * @example
 * const { categories, invalid } = await readCategoryRegistry(redis, keyLayout("ss"));
 */
export async function readCategoryRegistry(
  redis: Redis | Cluster,
  keys: KeyLayout,
): Promise<CategoryRegistry> {
  const registry = await redis.hgetall(keys.categories());
  const result: CategoryRegistry = { categories: [], invalid: [] };
  for (const field of Object.keys(registry).sort()) {
    try {
      const partitions = parsePartitionCount(keys.categories(), field, registry[field]);
      result.categories.push({ category: field, partitions });
    } catch (error) {
      if (!(error instanceof CorruptCategoryRegistryError)) throw error;
      result.invalid.push(error);
    }
  }
  return result;
}

/**
 * Every category partition of the valid registry entries, in category order.
 *
 * @example
 * const partitions = registryPartitions(await readCategoryRegistry(redis, keys)); // [{ category: "account", partition: 0 }, ...]
 */
export function registryPartitions(
  registry: CategoryRegistry,
): { category: string; partition: number }[] {
  const partitions: { category: string; partition: number }[] = [];
  for (const { category, partitions: count } of registry.categories) {
    for (let partition = 0; partition < count; partition++)
      partitions.push({ category, partition });
  }
  return partitions;
}
