import type { RawStreamEntry } from "@streamstore/core";

/**
 * The entries of an XREADGROUP reply for one key (`[[key, entries]]`, or null on timeout). Pure.
 *
 * @example
 * entriesOfRead([["log", [["1-0", ["t", "Opened"]]]]]); // [["1-0", ["t", "Opened"]]]
 */
export function entriesOfRead(reply: unknown): RawStreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const first = reply[0] as [unknown, unknown] | undefined;
  return Array.isArray(first?.[1]) ? (first[1] as RawStreamEntry[]) : [];
}

/**
 * One page of XAUTOCLAIM: the cursor to continue from (`"0-0"` once the whole pending list was
 * scanned), what was claimed, and the ids of pending entries deleted from the log meanwhile.
 */
export interface AutoClaimPage<Item> {
  cursor: string;
  claimed: Item[];
  deleted: string[];
}

/**
 * Parses an XAUTOCLAIM reply (`[cursor, claimed, deleted?]`; Redis 6.2 has no third element). Pure.
 *
 * @example
 * autoClaimPage<string>(["0-0", ["1-0"], []]); // { cursor: "0-0", claimed: ["1-0"], deleted: [] }
 */
export function autoClaimPage<Item>(reply: unknown): AutoClaimPage<Item> {
  const [cursor, claimed, deleted] = (Array.isArray(reply) ? reply : []) as [
    unknown,
    unknown,
    unknown,
  ];
  return {
    cursor: cursor === undefined || cursor === null ? "0-0" : String(cursor),
    claimed: Array.isArray(claimed) ? (claimed as Item[]) : [],
    deleted: Array.isArray(deleted) ? deleted.map(String) : [],
  };
}
