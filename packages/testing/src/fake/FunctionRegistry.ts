import { globToRegExp } from "./globToRegExp.js";
import { type Reply, replyError } from "./replyError.js";
import { ScriptCache } from "./ScriptCache.js";
import type { ScriptTwin } from "./scriptTwins/ScriptTwin.js";

/** One function of a loaded library, runnable as the script it was built from. */
export interface LoadedFunction {
  readonly name: string;
  readonly library: string;
  readonly flags: readonly string[];
  /** SHA1 of the script in {@link FunctionRegistry.scripts} that runs it. */
  readonly sha: string;
}

interface LoadedLibrary {
  readonly name: string;
  readonly code: string;
  readonly functions: readonly LoadedFunction[];
}

/** A library as parsed: its name and each function with the script that runs it. */
export interface ParsedLibrary {
  readonly name: string;
  readonly functions: readonly { name: string; flags: string[]; script: string }[];
}

const HEADER = /^#!lua name=(\w+)\n/;
// One function in the layout of core's `defineFunctionLibrary`: a local function of (KEYS, ARGV)
// whose body is a script's body, then its registration with the script's shebang flags.
const FUNCTION =
  /local function (f_\w+)\(KEYS, ARGV\)\n([\s\S]*?)\nend\nredis\.register_function\{function_name='(\w+)', callback=\1, flags=\{((?:'[a-z-]+'(?:, )?)*)\}\}\n/y;

/**
 * Reads a library back into the scripts it was built from. The fake runs Redis Functions
 * libraries in the layout `defineFunctionLibrary` of @streamstore/core writes (the toolkit's own,
 * and any a user builds with it): each function then runs exactly as its script would with
 * `EVAL` (as its native twin when it has one), with the same flags. Other libraries are refused
 * with an error that says so.
 *
 * @example
 * ```ts
 * parseFunctionLibrary(coreFunctionLibrary.code).functions[0]?.name;
 * ```
 */
export function parseFunctionLibrary(code: string): ParsedLibrary | Error {
  const header = HEADER.exec(code);
  if (header === null) {
    return code.startsWith("#!lua")
      ? replyError("ERR Library name was not given")
      : replyError("ERR Missing library metadata");
  }
  const functions: { name: string; flags: string[]; script: string }[] = [];
  FUNCTION.lastIndex = header[0].length;
  while (FUNCTION.lastIndex < code.length) {
    const match = FUNCTION.exec(code);
    if (match === null) {
      return replyError(
        'ERR the in-memory fake of @streamstore/testing loads only function libraries built with defineFunctionLibrary of @streamstore/core (see the @streamstore/testing README, "Redis Functions")',
      );
    }
    const flags = [...(match[4] as string).matchAll(/'([a-z-]+)'/g)].map(
      (flag) => flag[1] as string,
    );
    const shebang = flags.length > 0 ? `#!lua flags=${flags.join(",")}` : "#!lua";
    functions.push({ name: match[3] as string, flags, script: `${shebang}\n${match[2]}\n` });
  }
  if (functions.length === 0) return replyError("ERR No functions registered");
  return { name: header[1] as string, functions };
}

/**
 * The server's function libraries (FUNCTION LOAD/LIST/DELETE/FLUSH, FCALL): what Redis 7 keeps in
 * `functions.c`. Their scripts live in a cache of their own, apart from EVAL's (SCRIPT FLUSH
 * leaves functions alone, as in Redis).
 *
 * @example
 * ```ts
 * const registry = new FunctionRegistry(new Map());
 * registry.load(code, false);
 * ```
 */
export class FunctionRegistry {
  readonly scripts: ScriptCache;
  private readonly libraries = new Map<string, LoadedLibrary>();
  private readonly byName = new Map<string, LoadedFunction>();

  constructor(twins: ReadonlyMap<string, ScriptTwin>) {
    this.scripts = new ScriptCache(twins);
  }

  /** FUNCTION LOAD [REPLACE]: the library's name, or the error Redis gives. */
  load(code: string, replace: boolean): Reply {
    const parsed = parseFunctionLibrary(code);
    if (parsed instanceof Error) return parsed;
    const existing = this.libraries.get(parsed.name);
    if (existing !== undefined && !replace) {
      return replyError(`ERR Library '${parsed.name}' already exists`);
    }
    for (const fn of parsed.functions) {
      const owner = this.byName.get(fn.name);
      if (owner !== undefined && owner.library !== parsed.name) {
        return replyError(`ERR Function ${fn.name} already exists`);
      }
    }
    let functions: LoadedFunction[];
    try {
      // Compiles (or finds the twin of) each script first: a library that fails loads nothing.
      functions = parsed.functions.map((fn) => ({
        name: fn.name,
        library: parsed.name,
        flags: fn.flags,
        sha: this.scripts.load(fn.script),
      }));
    } catch (error) {
      if (error instanceof Error && error.name === "ReplyError") return error;
      throw error;
    }
    if (existing !== undefined) this.remove(existing);
    this.libraries.set(parsed.name, { name: parsed.name, code, functions });
    for (const fn of functions) this.byName.set(fn.name, fn);
    return parsed.name;
  }

  /** The function FCALL names, if loaded. */
  get(name: string): LoadedFunction | undefined {
    return this.byName.get(name);
  }

  /** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE], in Redis 7.0's RESP2 shape. */
  list(pattern: string | undefined, withCode: boolean): Reply {
    const match = pattern === undefined ? undefined : globToRegExp(pattern);
    const reply: Reply[] = [];
    for (const library of this.libraries.values()) {
      if (match !== undefined && !match.test(library.name)) continue;
      const entry: Reply[] = [
        "library_name",
        library.name,
        "engine",
        "LUA",
        "functions",
        library.functions.map((fn) => [
          "name",
          fn.name,
          "description",
          null,
          "flags",
          [...fn.flags],
        ]),
      ];
      if (withCode) entry.push("library_code", library.code);
      reply.push(entry);
    }
    return reply;
  }

  /** FUNCTION DELETE. */
  delete(name: string): Reply {
    const library = this.libraries.get(name);
    if (library === undefined) return replyError("ERR Library not found");
    this.remove(library);
    return "OK";
  }

  /** FUNCTION FLUSH. */
  flush(): void {
    this.libraries.clear();
    this.byName.clear();
    this.scripts.flush();
  }

  /** The code of every library, in load order, for snapshots. */
  codes(): string[] {
    return [...this.libraries.values()].map((library) => library.code);
  }

  private remove(library: LoadedLibrary): void {
    this.libraries.delete(library.name);
    for (const fn of library.functions) this.byName.delete(fn.name);
  }
}
