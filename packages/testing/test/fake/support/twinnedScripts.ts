import { archiveFunctionLibrary } from "@streamstore/archive";
import { coreFunctionLibrary } from "@streamstore/core";
import type { FunctionLibrary } from "@streamstore/core/internal";
import * as coreInternal from "@streamstore/core/internal";
import { projectionsFunctionLibrary } from "@streamstore/projections";
import * as projectionsInternal from "@streamstore/projections/internal";
import { utf8ToByteString } from "../../../src/fake/byteString.js";
import { parseFunctionLibrary } from "../../../src/fake/FunctionRegistry.js";
import { sha1hex } from "../../../src/fake/LuaScriptEngine.js";
import { indexScriptTwins } from "../../../src/fake/ScriptCache.js";
import { TOOLKIT_SCRIPT_TWINS } from "../../../src/index.js";

/** Where the docs hold the generated table (README of @streamstore/testing, docs/testing.md). */
export const TWINNED_SCRIPTS_START =
  "<!-- twinned-scripts: generated, test/fake/twinnedScripts.docs.unit.spec.ts checks it -->";
export const TWINNED_SCRIPTS_END = "<!-- /twinned-scripts -->";

const LIBRARIES: readonly [string, FunctionLibrary][] = [
  ["@streamstore/core", coreFunctionLibrary],
  ["@streamstore/projections", projectionsFunctionLibrary],
  ["@streamstore/archive", archiveFunctionLibrary],
];

/** The exported name of a twin, looked up in the modules that export the toolkit's twins. */
function exportedName(twin: unknown): string {
  for (const module of [coreInternal, projectionsInternal]) {
    for (const [name, value] of Object.entries(module)) if (value === twin) return name;
  }
  throw new Error("a default twin that neither core nor projections exports");
}

/**
 * The table of every function of the toolkit's libraries and the default twin that serves it,
 * found the way the fake finds it: each function read back from the library's code into its
 * script (as FUNCTION LOAD does), matched by SHA1 against `TOOLKIT_SCRIPT_TWINS` (a twin whose
 * pinned SHA is stale matches nothing).
 */
export function twinnedScriptsTable(): string {
  const twins = indexScriptTwins(TOOLKIT_SCRIPT_TWINS);
  const cells = [["package", "function", "served by"]];
  for (const [pkg, library] of LIBRARIES) {
    const parsed = parseFunctionLibrary(library.code);
    if (parsed instanceof Error) throw parsed;
    for (const fn of parsed.functions) {
      const script = fn.name.slice(`${library.name}_`.length);
      const twin = twins.get(sha1hex(utf8ToByteString(fn.script)));
      const servedBy = twin === undefined ? "the Lua VM" : `\`${exportedName(twin)}\``;
      cells.push([`\`${pkg}\``, `\`${script}\``, servedBy]);
    }
  }
  const widths = [0, 1, 2].map((column) =>
    Math.max(...cells.map((row) => (row[column] as string).length)),
  );
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] as number)).join(" | ")} |`;
  const rows = [
    line(cells[0] as string[]),
    line(widths.map((width) => "-".repeat(width))),
    ...cells.slice(1).map(line),
  ];
  return [TWINNED_SCRIPTS_START, ...rows, TWINNED_SCRIPTS_END].join("\n");
}
