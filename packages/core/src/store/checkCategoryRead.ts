import { InvalidArgumentError } from "../errors/index.js";
import { assertCategory } from "../keys/keyLayout.js";
import {
  type CategoryStart,
  checkPosition,
  formatCategoryCursor,
  parseCategoryCursor,
} from "./categoryCursor.js";
import type { IterateCategoryOptions } from "./EventStore.js";

/** Most events in one page or one round trip of a category read. */
export const MAX_CATEGORY_PAGE = 100_000;

/** A category read's options, checked: what {@link readCategoryEntries} needs. */
export interface CategoryReadPlan {
  category: string;
  /** One partition, or undefined for all. */
  partition: number | undefined;
  direction: "forward" | "backward";
  start: CategoryStart;
  /** The cursor given, as given (an empty page hands it back). */
  cursor: string | undefined;
  /** Events in all (Infinity for every one). */
  limit: number;
  /** Entries fetched per partition per round trip. */
  pageSize: number;
}

function checkCount(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      name,
      `${String(value)} must be an integer from ${min} to ${max.toLocaleString("en-US")}.`,
    );
  }
  return value;
}

/**
 * Checks the options of `readCategory` (`mode: "page"`: `limit` is the page) or
 * `iterateCategory` (`mode: "all"`: `limit` is the total, `pageSize` the round trip) before
 * anything is read: every bad option is an `InvalidArgumentError` naming it.
 *
 * @example
 * const plan = checkCategoryRead("order", { direction: "backward", limit: 50 }, "page", 1000);
 */
export function checkCategoryRead(
  category: unknown,
  options: IterateCategoryOptions | undefined,
  mode: "page" | "all",
  defaultPageSize: number,
): CategoryReadPlan {
  assertCategory(category);
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new InvalidArgumentError("options", "pass an object ({ partition, from, limit... }).");
  }
  const { partition, from, cursor, limit, pageSize } = options ?? {};
  const direction = options?.direction ?? "forward";
  if (direction !== "forward" && direction !== "backward") {
    throw new InvalidArgumentError(
      "direction",
      `${String(direction)} is not "forward" or "backward".`,
    );
  }
  if (partition !== undefined) checkCount("partition", partition, 0, 1023);
  if (from !== undefined && cursor !== undefined) {
    throw new InvalidArgumentError(
      "from",
      "pass either `from` (a position to start at) or `cursor` (a page's `next`), not both.",
    );
  }
  const start: CategoryStart = {};
  if (from !== undefined) start.from = checkPosition(from, "from");
  if (cursor !== undefined) start.after = parseCategoryCursor(cursor, "cursor");
  if (mode === "page") {
    const size =
      limit === undefined ? defaultPageSize : checkCount("limit", limit, 1, MAX_CATEGORY_PAGE);
    if (pageSize !== undefined) {
      throw new InvalidArgumentError("pageSize", "readCategory reads one page: pass `limit`.");
    }
    return {
      category: category as string,
      partition,
      direction,
      start,
      cursor: start.after && formatCategoryCursor(start.after),
      limit: size,
      pageSize: size,
    };
  }
  return {
    category: category as string,
    partition,
    direction,
    start,
    cursor: start.after && formatCategoryCursor(start.after),
    limit:
      limit === undefined
        ? Number.POSITIVE_INFINITY
        : checkCount("limit", limit, 0, Number.MAX_SAFE_INTEGER),
    pageSize:
      pageSize === undefined
        ? defaultPageSize
        : checkCount("pageSize", pageSize, 1, MAX_CATEGORY_PAGE),
  };
}
