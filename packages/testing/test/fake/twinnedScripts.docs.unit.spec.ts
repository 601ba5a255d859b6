import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  TWINNED_SCRIPTS_END,
  TWINNED_SCRIPTS_START,
  twinnedScriptsTable,
} from "./support/twinnedScripts.js";

// The docs say which of the toolkit's scripts the fake serves from a native twin by default and
// which run in its Lua VM: a table generated from the libraries and the twins themselves, so the
// docs cannot drift from the code. On a failure, paste the table printed below into both files.

const DOCS = [
  new URL("../../README.md", import.meta.url),
  new URL("../../../../docs/testing.md", import.meta.url),
];

describe("the docs' table of twinned scripts", () => {
  const table = twinnedScriptsTable();

  it("covers every function of the toolkit's libraries, most of them twinned", () => {
    const rows = table.split("\n").filter((line) => line.startsWith("| `"));
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(rows.filter((row) => row.includes("| the Lua VM ")).length).toBeLessThan(
      rows.length / 2,
    );
  });

  for (const doc of DOCS) {
    it(`is current in ${doc.pathname.split("/").slice(-2).join("/")}`, async () => {
      const text = await readFile(doc, "utf8");
      const start = text.indexOf(TWINNED_SCRIPTS_START);
      const end = text.indexOf(TWINNED_SCRIPTS_END);
      expect(start, "the table's start marker").toBeGreaterThanOrEqual(0);
      expect(text.slice(start, end + TWINNED_SCRIPTS_END.length), `expected:\n${table}`).toBe(
        table,
      );
    });
  }
});
