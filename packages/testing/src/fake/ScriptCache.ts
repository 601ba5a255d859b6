import { utf8ToByteString } from "./byteString.js";
import {
  extractShebang,
  LuaScriptEngine,
  type ScriptCall,
  type ScriptFlags,
  sha1hex,
} from "./LuaScriptEngine.js";
import type { Reply } from "./replyError.js";
import { runScriptTwin } from "./scriptTwins/runScriptTwin.js";
import type { ScriptTwin } from "./scriptTwins/ScriptTwin.js";

interface CachedScript {
  readonly body: string;
  readonly flags: ScriptFlags;
  readonly twin: ScriptTwin | undefined;
  /** Whether fengari has compiled it (twins are compiled only if they ever fall back). */
  compiled: boolean;
}

/**
 * How many script runs each runner served, to check that twins are in use.
 *
 * @example
 * ```ts
 * const counts: ScriptRunCounts = { twin: 3, lua: 0 };
 * ```
 */
export interface ScriptRunCounts {
  twin: number;
  lua: number;
}

/**
 * The server's script cache (what Redis keeps in `lctx.lua_scripts`): SCRIPT LOAD/EXISTS/FLUSH
 * and NOSCRIPT are answered from here, so they behave the same whether a script then runs as its
 * twin or in Lua. The Lua engine is built only when a script without a twin (or a twin's
 * fallback) first needs it: fengari's state costs milliseconds per fake, a twin nothing.
 *
 * @example
 * ```ts
 * const cache = new ScriptCache(new Map());
 * const sha = cache.load("return 1");
 * ```
 */
export class ScriptCache {
  private readonly scripts = new Map<string, CachedScript>();
  private engine: LuaScriptEngine | undefined;
  /** Counts of runs per runner, for tests and for users checking their twins are picked. */
  readonly runs: ScriptRunCounts = { twin: 0, lua: 0 };

  /** `twins`: SHA1 of the exact Lua source → its twin; empty to run everything in Lua. */
  constructor(private readonly twins: ReadonlyMap<string, ScriptTwin>) {}

  /** The Lua engine, created on first use. */
  luaEngine(): LuaScriptEngine {
    this.engine ??= new LuaScriptEngine();
    return this.engine;
  }

  /** Whether a script with this SHA1 is cached (SCRIPT EXISTS). */
  has(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  /** The shebang flags of a cached script. */
  flags(sha: string): ScriptFlags | undefined {
    return this.scripts.get(sha.toLowerCase())?.flags;
  }

  /** The bodies of all cached scripts, in load order, for snapshots. */
  bodies(): string[] {
    return [...this.scripts.values()].map((script) => script.body);
  }

  /** SCRIPT FLUSH. */
  flush(): void {
    this.engine?.flush();
    this.scripts.clear();
  }

  /**
   * SCRIPT LOAD, or EVAL's implicit load: caches the script and returns its SHA1. A script
   * without a twin is compiled now, so a syntax error is reported at load as Redis reports it.
   */
  load(body: string): string {
    const sha = sha1hex(body);
    if (this.scripts.has(sha)) return sha;
    const twin = this.twins.get(sha);
    // Parsing the shebang validates it (an unknown flag is an error at load, twin or not).
    const { flags } = extractShebang(body);
    if (twin === undefined) this.luaEngine().load(body);
    this.scripts.set(sha, { body, flags, twin, compiled: twin === undefined });
    return sha;
  }

  /**
   * Runs a cached script: its twin when it has one, else (or when the twin falls back) in Lua.
   * The caller has checked `has(sha)`.
   *
   * @param isWriteCommand Lets the twin runner check a twin falls back only before writing.
   */
  run(sha: string, call: ScriptCall, isWriteCommand: (argv: readonly string[]) => boolean): Reply {
    const script = this.scripts.get(sha) as CachedScript;
    if (script.twin !== undefined) {
      const reply = runScriptTwin(script.twin, call, isWriteCommand);
      if (reply !== undefined) {
        this.runs.twin++;
        return reply;
      }
    }
    const engine = this.luaEngine();
    if (!script.compiled) {
      engine.load(script.body);
      script.compiled = true;
    }
    this.runs.lua++;
    return engine.run(sha, call);
  }
}

/**
 * Indexes twins by the SHA1 of their source. Two twins for one source are a mistake that would
 * make the choice depend on list order, so it is refused.
 *
 * @example
 * ```ts
 * const twins = indexScriptTwins(CORE_SCRIPT_TWINS);
 * ```
 */
export function indexScriptTwins(twins: readonly ScriptTwin[]): ReadonlyMap<string, ScriptTwin> {
  const bySha = new Map<string, ScriptTwin>();
  for (const twin of twins) {
    // ioredis sends the source UTF-8 encoded; the fake hashes those bytes.
    const sha = sha1hex(utf8ToByteString(twin.source));
    // A stale port must never run in place of edited Lua.
    if (twin.portedFromSha1 !== undefined && twin.portedFromSha1 !== sha) continue;
    const other = bySha.get(sha);
    if (other !== undefined && other !== twin) {
      throw new Error(
        `[streamstore] script twins "${other.name}" and "${twin.name}" stand for the same Lua source: pass one of them.`,
      );
    }
    bySha.set(sha, twin);
  }
  return bySha;
}
