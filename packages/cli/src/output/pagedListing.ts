import { stringifyJsonSafely } from "@streamstore/core/internal";
import type { Output } from "./Output.js";

/**
 * A listing printed page by page as its reads come in, so that its size never depends on how
 * much there is to list (issue 14: one table of 100,000,000 requested rows crashed the CLI).
 */
export interface PagedListing<Item> {
  /** Prints a page of items: one more table, or the next items of the JSON array. */
  page(items: readonly Item[]): void;
  /**
   * Ends the listing: with `--json`, closes the document with `trailer`'s fields; for people,
   * prints the (empty) table if no page had any item.
   */
  end(trailer?: Record<string, unknown>): void;
  /** Items printed so far. */
  readonly count: number;
}

/** What {@link pagedListing} prints. */
export interface PagedListingOptions<Item> {
  /** `--json`: the document's fields before the array. */
  head: Record<string, unknown>;
  /** `--json`: the array's field name. */
  field: string;
  /** For people: the table's columns, and an item's row. */
  columns: string[];
  row: (item: Item) => (string | number)[];
  /** For people: called once before the first table (a title line). */
  before?: () => void;
}

// JSON.stringify(value, null, 2), nested `depth` levels deep (2 spaces each), with the characters
// Output.data escapes escaped the same way.
const indented = (value: unknown, depth: number): string =>
  stringifyJsonSafely(value, undefined, 2).replaceAll("\n", `\n${"  ".repeat(depth)}`);

/**
 * Prints a listing page by page. With `--json` the output is one JSON document, written as it
 * goes, the same text `JSON.stringify({ ...head, [field]: items, ...trailer }, null, 2)` gives
 * (one item is held back, to know whether a comma follows it); for people, a table per page.
 *
 * @example
 * const listing = pagedListing(output, { head: { stream }, field: "events", columns: ["version"], row: (e) => [e.version] });
 * for await (const page of pages) listing.page(page);
 * listing.end({ version });
 */
export function pagedListing<Item>(
  output: Output,
  options: PagedListingOptions<Item>,
): PagedListing<Item> {
  let count = 0;
  let started = false;
  // --json: the last item printed is held back until the next one (or the end) says whether a
  // comma follows it.
  let pending: string | undefined;
  // A multi-line JSON text, a line at a time: Output.line shows a "\n" inside one text as an
  // escape (the merge of paging and terminal safety printed `{\n  "id": …` and broke --json).
  const json = (text: string) => {
    for (const line of text.split("\n")) output.line(line);
  };
  const fieldsText = (fields: Record<string, unknown>): string[] =>
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `  ${JSON.stringify(key)}: ${indented(value, 1)}`);
  const start = () => {
    if (started) return;
    started = true;
    if (output.json) {
      output.line("{");
      for (const line of fieldsText(options.head)) json(`${line},`);
    } else {
      options.before?.();
    }
  };
  return {
    get count() {
      return count;
    },
    page(items) {
      start();
      if (items.length === 0) return;
      count += items.length;
      if (!output.json) {
        output.table(options.columns, items.map(options.row));
        return;
      }
      if (pending === undefined) output.line(`  ${JSON.stringify(options.field)}: [`);
      else json(`${pending},`);
      for (const [index, item] of items.entries()) {
        const text = `    ${indented(item, 2)}`;
        if (index < items.length - 1) json(`${text},`);
        else pending = text;
      }
    },
    end(trailer = {}) {
      start();
      if (!output.json) {
        if (count === 0) output.table(options.columns, []);
        return;
      }
      const rest = fieldsText(trailer);
      const comma = rest.length > 0 ? "," : "";
      if (pending === undefined) {
        output.line(`  ${JSON.stringify(options.field)}: []${comma}`);
      } else {
        json(pending);
        output.line(`  ]${comma}`);
      }
      for (const [index, line] of rest.entries()) json(index < rest.length - 1 ? `${line},` : line);
      output.line("}");
    },
  };
}
