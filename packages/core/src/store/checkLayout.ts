import type { Cluster, Redis } from "ioredis";
import { LegacyLayoutError } from "../errors/index.js";
import { type KeyLayout, STORAGE_LAYOUT_VERSION } from "../keys/keyLayout.js";

/**
 * Checks that a prefix holds nothing, or data of this storage layout; with `forWrite`, records
 * the layout on a prefix that holds nothing yet. Resolves `"current"` once the prefix is known to
 * be of this layout, `"empty"` when it holds nothing and nothing was written. A prefix written by
 * an older layout (categories registered, no layout key) or another one is refused with
 * {@link LegacyLayoutError} before anything is read or written.
 *
 * The layout key is written before the first category is registered, and read after the
 * categories, so stores racing to the first append of a prefix all accept it.
 *
 * @example
 * await checkLayout(redis, keyLayout("shop"), true); // "current"
 */
export async function checkLayout(
  redis: Redis | Cluster,
  keys: KeyLayout,
  forWrite: boolean,
): Promise<"current" | "empty"> {
  const expected = String(STORAGE_LAYOUT_VERSION);
  // Categories first, then the layout key: a writer records the layout before its first
  // category, so a check that sees a category also sees that writer's layout key (read after).
  // The other order would call a prefix legacy when a concurrent first append landed in between.
  const categoriesExist = (await redis.exists(keys.categories())) === 1;
  const recorded = await redis.get(keys.layout());
  if (recorded === expected) return "current";
  if (recorded !== null) {
    throw new LegacyLayoutError(
      keys.prefix,
      `${keys.layout()} says layout ${JSON.stringify(recorded)}, this code reads layout ${expected}`,
    );
  }
  if (categoriesExist) {
    throw new LegacyLayoutError(
      keys.prefix,
      `${keys.categories()} exists without ${keys.layout()}: a Redis stream per aggregate`,
    );
  }
  if (!forWrite) return "empty";
  if ((await redis.set(keys.layout(), expected, "NX")) === "OK") return "current";
  // Another store recorded a layout between the GET and the SET: check what it wrote.
  return checkLayout(redis, keys, false);
}
