/**
 * The shape of a script twin, as the toolkit's own twins are written (core's beside
 * store/scripts.ts, projections' beside readModel/scripts.ts). A twin is a native JS port of one
 * Lua script that the in-memory fake of @streamstore/testing runs in place of the script whose
 * source has the same SHA1; the fake defines the same shapes for its users (`ScriptTwin` in the
 * @streamstore/testing README, "Lua scripts and their twins"), and @streamstore/testing hands
 * these twins to it, so the compiler checks the two agree. Declared here, not imported from the
 * fake, so that core and projections never depend on @streamstore/testing.
 */

/**
 * A Lua value as a twin sees it: strings, numbers, `false` for a nil reply, `{ ok }`/`{ err }` for
 * status/error replies, arrays; a twin also returns `undefined` (nil), `true` and `{ double }`.
 *
 * @example
 * const reply: LuaValue = ["ok", 3, 1, "1700000000000-0"];
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
 * What a twin gets in place of Lua's `redis` table: `call` names the script line it stands for,
 * `raise` raises a Lua runtime error at a line (only after a write).
 *
 * @example
 * const last = redis.call(5, "XREVRANGE", stream, "+", "-", "COUNT", 1) as LuaValue[];
 */
export interface ScriptTwinRedis {
  call(line: number, command: string, ...args: (string | number)[]): LuaValue;
  pcall(command: string, ...args: (string | number)[]): LuaValue;
  raise(line: number, message: string): never;
}

/** What a twin returns to hand the script to the Lua (only before its first write). */
export interface ScriptTwinFallback {
  readonly fallBackToLua: true;
}

/**
 * The value a twin returns for input its port does not cover: the fake then runs the Lua.
 *
 * @example
 * if (!/^\d+$/.test(args[0] ?? "")) return SCRIPT_TWIN_FALLBACK;
 */
export const SCRIPT_TWIN_FALLBACK: ScriptTwinFallback = Object.freeze({ fallBackToLua: true });

/**
 * A native JS port of one Lua script: `source` is the exact Lua text (its SHA1 is the key),
 * `portedFromSha1` the SHA1 of the text it was ported from (a mismatch disables the twin).
 *
 * @example
 * const getTwin: ScriptTwin = {
 *   name: "get",
 *   source: "return redis.call('GET', KEYS[1])",
 *   run: (redis, keys) => redis.call(1, "GET", keys[0] ?? ""),
 * };
 */
export interface ScriptTwin {
  readonly name: string;
  readonly source: string;
  readonly portedFromSha1?: string;
  run(
    redis: ScriptTwinRedis,
    keys: readonly string[],
    args: readonly string[],
  ): LuaValue | ScriptTwinFallback;
}
