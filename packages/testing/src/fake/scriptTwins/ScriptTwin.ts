/**
 * A Lua value as a script twin sees it, in the shapes Redis's Lua sees (`redisProtocolToLuaType`
 * in Redis 7.0's `src/script_lua.c`):
 *
 * - bulk/simple strings are `string`, integers are `number`;
 * - a nil bulk or nil array reply is `false` (not `nil`: Redis's conversion table);
 * - a status reply is `{ ok: "..." }`, an error reply (from `pcall`) is `{ err: "CODE message" }`;
 * - an array reply is a JS array (index 0 is Lua's index 1).
 *
 * A twin returns the same kinds, plus `undefined` for `nil`, `true`, and `{ double: n }`.
 *
 * @example
 * ```ts
 * const reply: LuaValue = ["ok", 3, 1, "1700000000000-0"];
 * ```
 */
export type LuaValue =
  | string
  | number
  | boolean
  | undefined
  | LuaValue[]
  | { readonly ok: string }
  | { readonly err: string }
  | { readonly double: number };

/**
 * What a twin gets in place of Lua's `redis` table. Each call carries the script line it stands
 * for, because Redis names that line in a script error (`... script: <sha>, on @user_script:12.`)
 * and the twin must raise the same text as its Lua.
 *
 * @example
 * ```ts
 * // Lua line 5: local last = redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1)
 * const last = redis.call(5, "XREVRANGE", stream, "+", "-", "COUNT", 1) as LuaValue[];
 * ```
 */
export interface ScriptTwinRedis {
  /**
   * `redis.call`: runs one command through the fake's script dispatch (same checks as Lua:
   * read-only scripts, undeclared commands, arity) and returns its reply converted to Lua shapes.
   * An error reply ends the script with the error Redis builds for `line`. Numbers become
   * `%.17g` text, as `luaArgsToRedisArgv` formats Lua numbers.
   */
  call(line: number, command: string, ...args: (string | number)[]): LuaValue;
  /** `redis.pcall`: like {@link call}, but an error reply comes back as `{ err }`. */
  pcall(command: string, ...args: (string | number)[]): LuaValue;
  /**
   * Raises the runtime error the Lua raises at `line` outside `redis.call`, such as a library
   * function refusing an argument: `message` is Lua 5.1's text without its position, e.g.
   * `bad argument #1 to 'char' (invalid value)`. The script ends with the error Redis builds:
   * `ERR user_script:<line>: <message> script: <sha>, on @user_script:<line>.` Only for errors
   * met after a write, where falling back to the Lua is no longer allowed.
   */
  raise(line: number, message: string): never;
}

/**
 * What a twin returns to hand the script to the Lua. A plain shape rather than a symbol, so that
 * twins written where their scripts live (the toolkit's, in @streamstore/core and
 * @streamstore/projections) need nothing from this package: any `{ fallBackToLua: true }` will do.
 *
 * @example
 * ```ts
 * const fallback: ScriptTwinFallback = { fallBackToLua: true };
 * ```
 */
export interface ScriptTwinFallback {
  readonly fallBackToLua: true;
}

/**
 * Returned by a twin that meets input its port does not cover (a non-decimal number text, a
 * value beyond what the fake's Lua formats): the fake then runs the script in Lua, so the twin
 * never has to guess. Allowed only before the twin's first write: reads are simply repeated.
 *
 * @example
 * ```ts
 * if (!/^\d+$/.test(args[0] ?? "")) return SCRIPT_TWIN_FALLBACK;
 * ```
 */
export const SCRIPT_TWIN_FALLBACK: ScriptTwinFallback = Object.freeze({ fallBackToLua: true });

/**
 * Whether a twin's result is a fallback (its shape, not its identity: see {@link ScriptTwinFallback}).
 *
 * @example
 * ```ts
 * isScriptTwinFallback(SCRIPT_TWIN_FALLBACK); // true
 * ```
 */
export function isScriptTwinFallback(value: unknown): value is ScriptTwinFallback {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Partial<ScriptTwinFallback>).fallBackToLua === true
  );
}

/**
 * A native JS port of one Lua script, chosen by the fake when a script with exactly this
 * `source` (same SHA1) is run by EVAL/EVALSHA (and therefore by ioredis `defineCommand`), or is
 * a function of a library loaded with FUNCTION LOAD and run by FCALL/FCALL_RO (the fake reads
 * each function of the library back into its script, see FunctionRegistry).
 *
 * Keying on the SHA of the source is what keeps a twin honest: edit one character of the Lua
 * and the SHA changes, the twin is no longer found, and the fake runs the new Lua text.
 *
 * @example
 * ```ts
 * const getTwin: ScriptTwin = {
 *   name: "get",
 *   source: "return redis.call('GET', KEYS[1])",
 *   run: (redis, keys) => redis.call(1, "GET", keys[0] ?? ""),
 * };
 * ```
 */
export interface ScriptTwin {
  /** A name for messages and tests. */
  readonly name: string;
  /** The exact Lua source (shebang included) this twin stands for. */
  readonly source: string;
  /**
   * The SHA1 of the Lua text this twin was ported from. When `source` is imported from the
   * package that owns the script, an edit there changes `source` but not the port: a pinned SHA
   * that no longer matches disables the twin (the fake runs the Lua), and a unit test fails until
   * the port is updated.
   */
  readonly portedFromSha1?: string;
  /**
   * Runs the port. `keys` and `args` are KEYS and ARGV (0-based). Throwing is reserved for the
   * errors `redis.call` and `redis.raise` raise; anything else the Lua would raise must be a
   * fallback instead (or, after a write, `redis.raise` with Lua's text).
   */
  run(
    redis: ScriptTwinRedis,
    keys: readonly string[],
    args: readonly string[],
  ): LuaValue | ScriptTwinFallback;
}
