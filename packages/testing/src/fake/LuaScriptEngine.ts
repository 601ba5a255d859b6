import { formatDouble } from "./formatDouble.js";
import { installCjson, installStruct, protectGlobals } from "./lua/luaLibraries.js";
import { installLua51Numbers } from "./lua/luaNumbers.js";
import { installRedisApi } from "./lua/luaRedisApi.js";
import { type LuaState, lauxlib, lua, lualib, to_luastring } from "./lua/luaRuntime.js";
import {
  extractShebang,
  type ScriptCall,
  type ScriptFlags,
  sha1hex,
  toLua51Message,
} from "./lua/luaScriptText.js";
import { stringField, toRedisReply } from "./lua/luaValues.js";
import { type Reply, replyError } from "./replyError.js";

export {
  extractShebang,
  luaErrorText,
  type ScriptCall,
  type ScriptCommandRunner,
  type ScriptFlags,
  sha1hex,
  toLua51Message,
} from "./lua/luaScriptText.js";

// The error handler Redis installs (`__redis__err__handler` in src/eval.c): turns any error into
// an {err=...} table carrying the source and line of the script frame that raised it.
const PRELUDE = `
local dbg = debug
local getinfo = dbg.getinfo
__redis__err__handler = function(err)
  local i = getinfo(2, 'nSl')
  if i and (i.what == 'C' or i.what == 'J') then
    i = getinfo(3, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
local number_to_string = __number_to_string
__number_to_string = nil
local raw_tostring = tostring
tostring = function(value)
  if type(value) == 'number' then return number_to_string(value) end
  return raw_tostring(value)
end
unpack = table.unpack
loadstring = load
table.getn = function(t) return #t end
math.pow = function(x, y) return x ^ y end
`;

/**
 * Runs Redis EVAL scripts in fengari (Lua 5.3 in JS), shaped to behave like Redis 7.0's Lua 5.1
 * scripting: the `redis` API (`call`, `pcall`, `error_reply`, `status_reply`, `sha1hex`, `log`,
 * `setresp`...), `cjson`, `KEYS`/`ARGV`, global protection, the reply conversions of
 * `src/script_lua.c`, and error messages formatted as `luaCallFunction` formats them.
 *
 * Compiled chunks are kept in the Lua registry by SHA1 (as Redis keeps `f_<sha>`), so EVALSHA of
 * a known script does no parsing.
 *
 * @example
 * ```ts
 * const engine = new LuaScriptEngine();
 * const sha = engine.load("return ARGV[1]");
 * engine.run(sha, { sha, keys: [], args: ["hi"], runCommand: () => null }); // "hi"
 * ```
 */
export class LuaScriptEngine {
  private readonly state: LuaState;
  private readonly scripts = new Map<string, { body: string; flags: ScriptFlags }>();
  private current: ScriptCall | undefined;

  constructor() {
    this.state = lauxlib.luaL_newstate();
    const L = this.state;
    lualib.luaL_openlibs(L);
    installRedisApi(L, () => this.current);
    installCjson(L);
    installStruct(L);
    // tostring() formats numbers through luaL_tolstring's own "%f" path, not luaO_tostring.
    lua.lua_pushjsfunction(L, (state) => {
      lua.lua_pushstring(state, to_luastring(formatDouble(lua.lua_tonumber(state, 1), 14)));
      return 1;
    });
    lua.lua_setglobal(L, to_luastring("__number_to_string"));
    installLua51Numbers(L);
    if (lauxlib.luaL_dostring(L, to_luastring(PRELUDE)) !== lua.LUA_OK) {
      throw new Error(`[streamstore] fake Redis Lua prelude failed: ${lua.lua_tojsstring(L, -1)}`);
    }
    // Redis 7 removes these from scripts (debug after its error handler captured it).
    for (const name of ["debug", "dofile", "loadfile", "print", "io", "os", "require", "package"]) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, to_luastring(name));
    }
    protectGlobals(L);
  }

  /** Whether a script with this SHA1 is cached (SCRIPT EXISTS). */
  has(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  /** The flags of a cached script. */
  flags(sha: string): ScriptFlags | undefined {
    return this.scripts.get(sha.toLowerCase())?.flags;
  }

  /** Drops every cached script (SCRIPT FLUSH). */
  flush(): void {
    const L = this.state;
    for (const sha of this.scripts.keys()) {
      lua.lua_pushnil(L);
      lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, to_luastring(`f_${sha}`));
    }
    this.scripts.clear();
  }

  /** The bodies of all cached scripts, for snapshots. */
  bodies(): string[] {
    return [...this.scripts.values()].map((script) => script.body);
  }

  /** Compiles and caches a script; returns its SHA1 (SCRIPT LOAD, or EVAL's implicit load). */
  load(body: string): string {
    const sha = sha1hex(body);
    if (this.scripts.has(sha)) return sha;
    const { code, flags } = extractShebang(body);
    const L = this.state;
    if (lauxlib.luaL_loadbuffer(L, to_luastring(code), null, to_luastring("@user_script")) !== 0) {
      const message = lua.lua_tojsstring(L, -1);
      lua.lua_pop(L, 1);
      throw replyError(`ERR Error compiling script (new function): ${toLua51Message(message)}`);
    }
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, to_luastring(`f_${sha}`));
    this.scripts.set(sha, { body, flags });
    return sha;
  }

  /** Runs a cached script. Returns its reply converted the way Redis converts Lua values. */
  run(sha: string, call: ScriptCall): Reply {
    const L = this.state;
    const base = lua.lua_gettop(L);
    lua.lua_getglobal(L, to_luastring("__redis__err__handler"));
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, to_luastring(`f_${sha}`));
    this.setGlobalArray("KEYS", call.keys);
    this.setGlobalArray("ARGV", call.args);
    const previous = this.current;
    this.current = call;
    try {
      const status = lua.lua_pcall(L, 0, 1, base + 1);
      if (status !== lua.LUA_OK) return this.scriptError(call.sha);
      return toRedisReply(L, -1);
    } finally {
      this.current = previous;
      lua.lua_settop(L, base);
    }
  }

  private scriptError(sha: string): Error {
    const L = this.state;
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
      const message =
        lua.lua_type(L, -1) === lua.LUA_TSTRING ? lua.lua_tojsstring(L, -1) : "execution failure";
      return replyError(`ERR Error running script ${sha}, ${message.slice(0, 100)}\n`);
    }
    const text = toLua51Message(stringField(L, -1, "err") ?? "");
    const source = stringField(L, -1, "source");
    const line = stringField(L, -1, "line");
    let message = text;
    if (source !== undefined && line !== undefined) {
      message += ` script: ${sha}, on ${source}:${line}.`;
    }
    return replyError(message);
  }

  private setGlobalArray(name: string, values: readonly string[]): void {
    const L = this.state;
    lua.lua_pushglobaltable(L);
    lua.lua_pushstring(L, to_luastring(name));
    lua.lua_createtable(L, values.length, 0);
    for (let index = 0; index < values.length; index++) {
      lua.lua_pushstring(L, to_luastring(values[index] as string));
      lua.lua_rawseti(L, -2, index + 1);
    }
    // rawset: globals are protected against scripts, not against the host.
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }
}
