import { parsePosition } from "../archive/checkArchiveCall.js";
import { InvalidArgumentError } from "../errors/index.js";
import { compareStreamIds } from "./streamIds.js";

/**
 * A place in a category's read order: an event's log position and its partition. Positions order
 * events within a partition exactly; across partitions the order is by position (Redis stream ids
 * start with the time the event was appended, in ms), then by partition number.
 */
export interface CategoryCursor {
  position: string;
  partition: number;
}

const CURSOR = /^([0-9]{1,19}-[0-9]{1,19})\/([0-9]{1,4})$/;
const MAX_SEQ = 9223372036854775807n;

/**
 * A cursor as the string `store.readCategory` hands out as `next`: `<ms>-<seq>/<partition>`.
 *
 * @example
 * formatCategoryCursor({ position: "1700000000000-0", partition: 3 }); // "1700000000000-0/3"
 */
export function formatCategoryCursor(cursor: CategoryCursor): string {
  return `${cursor.position}/${cursor.partition}`;
}

/**
 * Parses a cursor string (`<ms>-<seq>/<partition>`, as `next` gives it); anything else is an
 * `InvalidArgumentError` naming `argument`.
 *
 * @example
 * parseCategoryCursor("1700000000000-0/3", "after"); // { position: "1700000000000-0", partition: 3 }
 */
export function parseCategoryCursor(text: unknown, argument: string): CategoryCursor {
  const match = typeof text === "string" ? CURSOR.exec(text) : null;
  if (!match || !parsePosition(match[1])) {
    throw new InvalidArgumentError(
      argument,
      `${JSON.stringify(text) ?? String(text)} is not a cursor: pass the \`next\` of a page readCategory returned ("<ms>-<seq>/<partition>").`,
    );
  }
  return { position: match[1] as string, partition: Number(match[2]) };
}

/**
 * Checks a position (`<ms>-<seq>`, a Redis stream id); anything else is an
 * `InvalidArgumentError` naming `argument`.
 *
 * @example
 * checkPosition("1700000000000-0", "from");
 */
export function checkPosition(position: unknown, argument: string): string {
  if (!parsePosition(position)) {
    throw new InvalidArgumentError(
      argument,
      `${JSON.stringify(position) ?? String(position)} is not a position "<ms>-<seq>" (an event's \`position\`, or \`\${date.getTime()}-0\` for a time).`,
    );
  }
  return position as string;
}

/**
 * The position just before `position` in stream id order, undefined for `"0-0"` (nothing is).
 *
 * @example
 * positionBefore("5-0"); // "4-9223372036854775807"
 */
export function positionBefore(position: string): string | undefined {
  const [ms, seq] = parsePosition(position) ?? [0n, 0n];
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  if (ms > 0n) return `${ms - 1n}-${MAX_SEQ}`;
  return undefined;
}

/**
 * Orders two places of a category: by position, then by partition (see {@link CategoryCursor}).
 *
 * @example
 * compareCategoryOrder({ position: "5-0", partition: 1 }, { position: "5-0", partition: 0 }); // > 0
 */
export function compareCategoryOrder(a: CategoryCursor, b: CategoryCursor): number {
  return compareStreamIds(a.position, b.position) || a.partition - b.partition;
}

/** Where a category read starts: after a cursor (exclusive) or at a position (inclusive). */
export interface CategoryStart {
  after?: CategoryCursor;
  from?: string;
}

/**
 * Where one partition's read starts, so that the merged read continues exactly past `start` in
 * the category order. Forward: the position to read after (exclusive; `"0-0"` for the start).
 * Backward: the position to read at or below (`"+"` for the newest), or undefined when nothing of
 * the partition comes before `start`.
 *
 * @example
 * partitionStart(2, "forward", { after: { position: "5-0", partition: 1 } }); // "4-9223372036854775807"
 */
export function partitionStart(
  partition: number,
  direction: "forward" | "backward",
  start: CategoryStart,
): string | undefined {
  if (direction === "forward") {
    if (start.from !== undefined) return positionBefore(start.from) ?? "0-0";
    if (start.after === undefined) return "0-0";
    // Events at the cursor's position in later partitions still follow it.
    const { position, partition: at } = start.after;
    return partition <= at ? position : (positionBefore(position) ?? "0-0");
  }
  if (start.from !== undefined) return start.from;
  if (start.after === undefined) return "+";
  // Events at the cursor's position in earlier partitions still come before it.
  const { position, partition: at } = start.after;
  return partition < at ? position : positionBefore(position);
}
