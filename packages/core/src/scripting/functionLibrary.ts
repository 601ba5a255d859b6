import { createHash } from "node:crypto";

/** One of a library's functions: a toolkit Lua script, run with `FCALL` (or `FCALL_RO`). */
export interface LibraryFunction {
  /** The function's name on the server (`<library>_<script>`): it carries the library version. */
  readonly name: string;
  /** The script's Lua source, shebang line included, exactly as the package defines it. */
  readonly lua: string;
  /** `#!lua flags=no-writes`: run with `FCALL_RO`, which Redis refuses to let write. */
  readonly readOnly: boolean;
}

/**
 * A Redis Functions library (Redis 7) holding a package's Lua scripts, so that an application user
 * needs `FCALL`/`FCALL_RO` only and never `EVAL`. The name carries a hash of every script's
 * source: a changed script is a new library, so two versions of the toolkit can run side by side
 * on one server and never call each other's code.
 *
 * @example
 * const library = defineFunctionLibrary("core", { version: VERSION_SCRIPT });
 * library.name; // "streamstore_core_<12 hex digits>"
 */
export interface FunctionLibrary<Name extends string = string> {
  /** `streamstore_<package>_<version>`. */
  readonly name: string;
  /** The 12 hex digits of the sources' SHA1 that make up the version. */
  readonly version: string;
  /** The library source to send with `FUNCTION LOAD`. */
  readonly code: string;
  /** The functions, by script name. */
  readonly functions: Readonly<Record<Name, LibraryFunction>>;
}

const NAME = /^[a-z][a-z0-9_]*$/;
// The shebang lines the toolkit's scripts use; the library keeps their flags.
const SHEBANG = /^#!lua(?: flags=([a-z-]+(?:,[a-z-]+)*))?\n/;

/**
 * Builds the library of a package's scripts in the one layout the in-memory fake of
 * @streamstore/testing reads back (see its README, "Redis Functions"): each script's body (its
 * source after the shebang line) becomes a local function `f_<script>(KEYS, ARGV)`, so the same Lua
 * runs unchanged with `EVAL` or `FCALL`, and its shebang flags become the function's flags.
 * Throws on a name Redis would refuse, or a script without a `#!lua` shebang or a final newline
 * (the layout the fake reads back must give each script's exact source).
 *
 * @example
 * const CORE = defineFunctionLibrary("core", { append: APPEND_SCRIPT, read: READ_SCRIPT });
 * CORE.functions.read.name; // "streamstore_core_<version>_read"
 */
export function defineFunctionLibrary<Name extends string>(
  packageName: string,
  scripts: Readonly<Record<Name, string>>,
): FunctionLibrary<Name> {
  const names = Object.keys(scripts).sort() as Name[];
  if (!NAME.test(packageName) || names.some((name) => !NAME.test(name))) {
    throw new Error(
      `[streamstore] function library "${packageName}": package and script names must match ${NAME}.`,
    );
  }
  const hash = createHash("sha1");
  for (const name of names) hash.update(`${name}\n${scripts[name]}\n`);
  const version = hash.digest("hex").slice(0, 12);
  const libraryName = `streamstore_${packageName}_${version}`;
  const functions = {} as Record<Name, LibraryFunction>;
  const parts = [`#!lua name=${libraryName}`];
  for (const name of names) {
    const lua = scripts[name];
    const shebang = SHEBANG.exec(lua);
    if (shebang === null) {
      throw new Error(
        `[streamstore] script "${name}" of library "${packageName}" must start with a "#!lua" shebang line.`,
      );
    }
    if (!lua.endsWith("\n")) {
      throw new Error(
        `[streamstore] script "${name}" of library "${packageName}" must end with a newline.`,
      );
    }
    const flags = shebang[1]?.split(",") ?? [];
    const body = lua.slice(shebang[0].length);
    const functionName = `${libraryName}_${name}`;
    functions[name] = { name: functionName, lua, readOnly: flags.includes("no-writes") };
    parts.push(
      `local function f_${name}(KEYS, ARGV)`,
      body.slice(0, -1),
      "end",
      `redis.register_function{function_name='${functionName}', callback=f_${name}, flags={${flags.map((flag) => `'${flag}'`).join(", ")}}}`,
    );
  }
  return { name: libraryName, version, code: `${parts.join("\n")}\n`, functions };
}
