import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createOutput } from "../src/output/Output.js";
import { pagedListing } from "../src/output/pagedListing.js";

// Issue 14: listings are printed page by page. With --json the pages must still make the one
// document `JSON.stringify(value, null, 2)` printed before, whatever the pages' sizes.

function capture(json: boolean) {
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const output = createOutput({ json, color: false, stdout, stderr: new PassThrough() });
  return { output, text: () => text };
}

const item = (n: number) => ({ n, nested: { list: [n, `${n}`], empty: {} } });

describe("pagedListing", () => {
  it.each([
    ["no item, with a trailer", [[]], { total: 0 }],
    ["no item, no trailer", [], {}],
    ["one page of one", [[item(1)]], { total: 1 }],
    [
      "pages of 2, 0 and 3 items",
      [[item(1), item(2)], [], [item(3), item(4), item(5)]],
      { total: 5, gone: undefined },
    ],
    ["pages without a trailer", [[item(1)], [item(2)]], {}],
  ])("writes with --json the document JSON.stringify gives: %s", (_, pages, trailer) => {
    // Given a listing with head fields
    const { output, text } = capture(true);
    const head = { stream: "a-1", partition: 0, archive: null };
    const listing = pagedListing<ReturnType<typeof item>>(output, {
      head,
      field: "events",
      columns: ["n"],
      row: (entry) => [entry.n],
    });

    // When the pages are printed and the listing ended
    for (const page of pages) listing.page(page);
    listing.end(trailer);

    // Then the text is exactly the whole value's JSON
    const items = pages.flat();
    expect(text()).toBe(`${JSON.stringify({ ...head, events: items, ...trailer }, null, 2)}\n`);
    expect(listing.count).toBe(items.length);
  });

  it("prints a table per non-empty page for people, and an empty table when there was none", () => {
    // Given two listings for people
    const full = capture(false);
    const empty = capture(false);
    const make = (output: ReturnType<typeof capture>["output"]) =>
      pagedListing<{ n: number }>(output, {
        head: {},
        field: "rows",
        columns: ["n"],
        row: (entry) => [entry.n],
        before: () => output.line("title"),
      });
    const listing = make(full.output);
    const none = make(empty.output);

    // When one gets pages of 2, 0 and 1 rows and the other none
    listing.page([{ n: 1 }, { n: 2 }]);
    listing.page([]);
    listing.page([{ n: 3 }]);
    listing.end();
    none.end();

    // Then the first has the title once and two tables, the second the title and an empty table
    expect(full.text().match(/title/g)).toHaveLength(1);
    expect(full.text().match(/┌/g)).toHaveLength(2);
    expect(empty.text().match(/┌/g)).toHaveLength(1);
    expect(empty.text().startsWith("title\n")).toBe(true);
  });
});
