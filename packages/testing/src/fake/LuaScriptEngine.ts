import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { byteStringToBytes, bytesToByteString } from "./byteString.js";
import { formatDouble } from "./formatDouble.js";
import { LuaStructError, structPack, structSize, structUnpack } from "./luaStruct.js";
import { type Reply, replyError, StatusReply } from "./replyError.js";

// fengari ships no type declarations; this is the slice of its C-like API the engine uses.
type LuaState = object;
type LuaFunction = (state: LuaState) => number;
interface FengariModule {
  lua: {
    LUA_REGISTRYINDEX: number;
    LUA_MULTRET: number;
    LUA_OK: number;
    LUA_TNIL: number;
    LUA_TBOOLEAN: number;
    LUA_TNUMBER: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    lua_pcall(state: LuaState, args: number, results: number, handler: number): number;
    lua_gettop(state: LuaState): number;
    lua_settop(state: LuaState, index: number): void;
    lua_type(state: LuaState, index: number): number;
    lua_tojsstring(state: LuaState, index: number): string;
    lua_tolstring(state: LuaState, index: number): Uint8Array;
    lua_tonumber(state: LuaState, index: number): number;
    lua_tonumberx(state: LuaState, index: number): number | false;
    lua_replace(state: LuaState, index: number): void;
    lua_toboolean(state: LuaState, index: number): boolean;
    lua_isinteger(state: LuaState, index: number): boolean;
    lua_tocfunction(state: LuaState, index: number): unknown;
    lua_pushstring(state: LuaState, value: Uint8Array): void;
    lua_pushinteger(state: LuaState, value: number): void;
    lua_pushnumber(state: LuaState, value: number): void;
    lua_pushboolean(state: LuaState, value: boolean): void;
    lua_pushnil(state: LuaState): void;
    lua_pushjsfunction(state: LuaState, fn: LuaFunction): void;
    lua_pushvalue(state: LuaState, index: number): void;
    lua_createtable(state: LuaState, arraySize: number, hashSize: number): void;
    lua_setfield(state: LuaState, index: number, key: Uint8Array): void;
    lua_getfield(state: LuaState, index: number, key: Uint8Array): number;
    lua_rawgeti(state: LuaState, index: number, n: number): number;
    lua_rawseti(state: LuaState, index: number, n: number): void;
    lua_setglobal(state: LuaState, name: Uint8Array): void;
    lua_getglobal(state: LuaState, name: Uint8Array): number;
    lua_pushglobaltable(state: LuaState): void;
    lua_rawset(state: LuaState, index: number): void;
    lua_next(state: LuaState, index: number): number;
    lua_error(state: LuaState): never;
    lua_pop(state: LuaState, count: number): void;
    lua_remove(state: LuaState, index: number): void;
    lua_insert(state: LuaState, index: number): void;
    lua_setmetatable(state: LuaState, index: number): number;
  };
  lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(
      state: LuaState,
      code: Uint8Array,
      size: number | null,
      name: Uint8Array,
    ): number;
    luaL_error(state: LuaState, format: Uint8Array, ...args: unknown[]): never;
    luaL_dostring(state: LuaState, code: Uint8Array): number;
    luaL_where(state: LuaState, level: number): void;
    luaL_argerror(state: LuaState, arg: number, message: Uint8Array): never;
    luaL_checknumber(state: LuaState, arg: number): number;
  };
  lualib: { luaL_openlibs(state: LuaState): void };
  to_luastring(text: string): Uint8Array;
}

const require = createRequire(import.meta.url);
const fengari = require("fengari") as FengariModule;
const { lauxlib, lualib } = fengari;
// The fake's strings are byte strings (see byteString.ts), so Lua gets and gives exactly their
// bytes, never a UTF-8 re-encoding: both conversions of the engine go through these two.
const to_luastring = byteStringToBytes;
const lua: FengariModule["lua"] = {
  ...fengari.lua,
  lua_tojsstring: (state, index) => {
    const bytes = fengari.lua.lua_tolstring(state, index) as Uint8Array | null;
    // Like fengari's own: null for a value that is neither a string nor a number.
    return bytes === null ? (bytes as unknown as string) : bytesToByteString(bytes);
  },
};

// Lua 5.1 (Redis) has only doubles and prints them with "%.14g": tostring(5.0) is "5" and
// 2^63 is "9.2233720368548e+18", where Lua 5.3 prints "5.0" and fengari all digits. fengari
// reaches number→string conversion through this module export (lvm.js, lapi.js), so replacing it
// gives scripts 5.1's output for tostring() and `..` alike.
const fengariObjects = require("fengari/src/lobject.js") as {
  luaO_tostring: (
    state: LuaState,
    value: { value: number; setsvalue(text: unknown): void },
  ) => void;
};
const fengariStrings = require("fengari/src/lstring.js") as {
  luaS_bless: (state: LuaState, text: Uint8Array) => unknown;
};
fengariObjects.luaO_tostring = (state, value) => {
  value.setsvalue(
    fengariStrings.luaS_bless(state, to_luastring(formatDouble(Number(value.value), 14))),
  );
};

/**
 * Lua 5.3 runtime errors name the culprit after the problem ("attempt to index a nil value
 * (local 't')"); Lua 5.1, which Redis runs, names it first ("attempt to index local 't' (a nil
 * value)"). Compile errors quote `<eof>` in 5.1. Script twins format their errors through it too,
 * so both runners produce one text.
 *
 * @example
 * ```ts
 * toLua51Message("attempt to index a nil value (local 't')"); // "attempt to index local 't' (a nil value)"
 * ```
 */
export function toLua51Message(message: string): string {
  return message
    .replace(
      /attempt to (index|call|perform arithmetic on|concatenate|compare) an? (\w+) value \((global|local|field|upvalue|method) '([^']*)'\)/g,
      "attempt to $1 $3 '$4' (a $2 value)",
    )
    .replace(/near <eof>/g, "near '<eof>'");
}

/**
 * How a script calls back into Redis: runs one command and returns its (RESP2) reply.
 *
 * @example
 * ```ts
 * const run: ScriptCommandRunner = (argv) => (argv[0] === "PING" ? "PONG" : null);
 * ```
 */
export type ScriptCommandRunner = (argv: string[]) => Reply;

/**
 * What a running script needs from the server.
 *
 * @example
 * ```ts
 * engine.run(sha, { sha, keys: ["k"], args: [], runCommand: () => null });
 * ```
 */
export interface ScriptCall {
  readonly sha: string;
  readonly keys: readonly string[];
  readonly args: readonly string[];
  readonly runCommand: ScriptCommandRunner;
  readonly log?: (level: number, message: string) => void;
}

/**
 * Script flags from a Redis 7 shebang (`#!lua flags=no-writes,allow-oom`).
 *
 * @example
 * ```ts
 * engine.flags(sha)?.noWrites;
 * ```
 */
export interface ScriptFlags {
  readonly noWrites: boolean;
  readonly shebang: boolean;
}

const SCRIPT_FLAG_NAMES = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

/**
 * Splits a Redis 7 shebang line off a script (`evalExtractShebangFlags` in Redis 7.0's
 * `src/eval.c`). The newline stays so that line numbers in errors match Redis. Exported for the
 * script cache, which needs a script's flags without building a Lua state (a twin never does).
 *
 * @example
 * ```ts
 * extractShebang("#!lua flags=no-writes\nreturn 1").flags.noWrites; // true
 * ```
 */
export function extractShebang(body: string): { code: string; flags: ScriptFlags } {
  if (!body.startsWith("#!")) return { code: body, flags: { noWrites: false, shebang: false } };
  const end = body.indexOf("\n");
  if (end === -1) throw replyError("ERR Invalid script shebang");
  const parts = body.slice(0, end).trim().split(/\s+/);
  if (parts[0] !== "#!lua") {
    throw replyError(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  }
  let noWrites = false;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) throw replyError(`ERR Unknown lua shebang option: ${part}`);
    for (const flag of part.slice(6).split(",")) {
      if (flag === "") continue;
      if (!SCRIPT_FLAG_NAMES.has(flag)) {
        throw replyError(`ERR Unexpected flag in script shebang: ${flag}`);
      }
      if (flag === "no-writes") noWrites = true;
    }
  }
  return { code: body.slice(end), flags: { noWrites, shebang: true } };
}

/**
 * SHA1 hex digest, as EVALSHA, SCRIPT LOAD and `redis.sha1hex` use.
 *
 * @example
 * ```ts
 * sha1hex("return 1"); // "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
 * ```
 */
export function sha1hex(text: string): string {
  // Scripts are byte strings: hash their bytes.
  return createHash("sha1").update(text, "latin1").digest("hex");
}

/**
 * The `err` text of the table `luaPushErrorBuff` builds (Redis 7.0 `src/script_lua.c`): a buffer
 * starting with `-` carries its own code (the first word); any other text gets the generic `ERR`
 * code; surrounding newlines go. Shared with script twins so an error reply reads the same in both.
 *
 * @example
 * ```ts
 * luaErrorText("-WRONGTYPE Operation against a key"); // "WRONGTYPE Operation against a key"
 * luaErrorText("oops"); // "ERR oops"
 * ```
 */
export function luaErrorText(buffer: string): string {
  let code = "ERR";
  let message = buffer;
  if (buffer.startsWith("-")) {
    const space = buffer.indexOf(" ");
    if (space === -1) {
      message = buffer.slice(1);
    } else {
      code = buffer.slice(1, space);
      message = buffer.slice(space + 1);
    }
  }
  message = message.replace(/^[\r\n]+|[\r\n]+$/g, "");
  return `${code} ${message}`;
}

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

const INT64_LIMIT = 2 ** 63;

/**
 * `(int)(ptrdiff_t)d` on x86-64, how Lua 5.1's `luaL_checkint` turns a double into a C int:
 * truncation toward zero, NaN and values beyond 64 bits becoming INT64_MIN, then the low 32 bits.
 *
 * @example
 * ```ts
 * luaCInt(65.7); // 65
 * luaCInt(2 ** 32 + 65); // 65
 * ```
 */
function luaCInt(value: number): number {
  return Number(BigInt.asIntN(32, luaCLongLong(value)));
}

/** `(long long)d` on x86-64: truncation, NaN and values beyond 64 bits becoming INT64_MIN. */
function luaCLongLong(value: number): bigint {
  if (!(Math.abs(value) < INT64_LIMIT)) return -(2n ** 63n);
  return BigInt(Math.trunc(value));
}

/**
 * C's `printf("%<flags><width>.<precision>l<conversion>", value)` for the integer conversions
 * `d i o u x X`: precision is a minimum of digits (and turns the `0` flag off), `-` pads on the
 * right, `+`/space sign non-negative `d`/`i` values, `#` prefixes `0x`/`0X` (non-zero) or `0`, and
 * `o u x X` print the value's 64-bit two's complement.
 *
 * @example
 * ```ts
 * formatCInteger(-42n, "0", "6", undefined, "d"); // "-00042"
 * ```
 */
function formatCInteger(
  value: bigint,
  flags: string,
  width: string,
  precision: string | undefined,
  conversion: string,
): string {
  const signed = conversion === "d" || conversion === "i";
  const magnitude = signed ? (value < 0n ? -value : value) : BigInt.asUintN(64, value);
  const base = conversion === "o" ? 8 : conversion === "x" || conversion === "X" ? 16 : 10;
  let digits = magnitude.toString(base);
  if (conversion === "X") digits = digits.toUpperCase();
  if (precision !== undefined) {
    const minimum = Number(precision || "0");
    if (minimum === 0 && magnitude === 0n) digits = "";
    digits = digits.padStart(minimum, "0");
  }
  let prefix = "";
  if (signed && value < 0n) prefix = "-";
  else if (signed && flags.includes("+")) prefix = "+";
  else if (signed && flags.includes(" ")) prefix = " ";
  else if (flags.includes("#") && conversion === "o" && !digits.startsWith("0"))
    digits = `0${digits}`;
  else if (flags.includes("#") && base === 16 && magnitude !== 0n) {
    prefix = conversion === "X" ? "0X" : "0x";
  }
  const size = Number(width || "0");
  if (flags.includes("-")) return (prefix + digits).padEnd(size, " ");
  if (flags.includes("0") && precision === undefined) {
    return prefix + digits.padStart(size - prefix.length, "0");
  }
  return (prefix + digits).padStart(size, " ");
}

// One format item as Lua's scanformat reads it: up to 5 flags, 2 width and 2 precision digits.
const FORMAT_ITEM = /%(?:%|([-+ #0]{0,5})(\d{0,2})(?:\.(\d{0,2}))?([a-zA-Z]))/g;

/**
 * Before fengari's `string.format` runs: formats each integer item (`%d %i %o %u %x %X`) of a
 * number as Lua 5.1 does (`(long)` of the double, then C's printf), and rewrites the item to `%s`
 * of that text. fengari's own refuses numbers beyond 32 bits or with a fraction and prints
 * `%.0d` of 0 as "0". Anything else (other items, malformed formats, non-numbers) is left to
 * fengari, so its errors keep their texts.
 */
function formatIntegers(state: LuaState): void {
  const top = lua.lua_gettop(state);
  if (top < 2 || lua.lua_type(state, 1) !== lua.LUA_TSTRING) return;
  const format = lua.lua_tojsstring(state, 1);
  let argument = 1;
  let changed = false;
  const rewritten = format.replace(
    FORMAT_ITEM,
    (item, flags: string, width: string, precision: string | undefined, conversion: string) => {
      if (item === "%%") return item;
      argument++;
      if (!"diouxX".includes(conversion) || argument > top) return item;
      const type = lua.lua_type(state, argument);
      if (type !== lua.LUA_TNUMBER && type !== lua.LUA_TSTRING) return item;
      const value = lua.lua_tonumberx(state, argument);
      if (value === false) return item;
      const text = formatCInteger(luaCLongLong(value), flags, width, precision, conversion);
      lua.lua_pushstring(state, to_luastring(text));
      lua.lua_replace(state, argument);
      changed = true;
      return "%s";
    },
  );
  if (!changed) return;
  lua.lua_pushstring(state, to_luastring(rewritten));
  lua.lua_replace(state, 1);
}

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
    this.installRedisApi();
    this.installCjson();
    this.installStruct();
    // tostring() formats numbers through luaL_tolstring's own "%f" path, not luaO_tostring.
    lua.lua_pushjsfunction(L, (state) => {
      lua.lua_pushstring(state, to_luastring(formatDouble(lua.lua_tonumber(state, 1), 14)));
      return 1;
    });
    lua.lua_setglobal(L, to_luastring("__number_to_string"));
    this.installLua51Numbers();
    if (lauxlib.luaL_dostring(L, to_luastring(PRELUDE)) !== lua.LUA_OK) {
      throw new Error(`[streamstore] fake Redis Lua prelude failed: ${lua.lua_tojsstring(L, -1)}`);
    }
    // Redis 7 removes these from scripts (debug after its error handler captured it).
    for (const name of ["debug", "dofile", "loadfile", "print", "io", "os", "require", "package"]) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, to_luastring(name));
    }
    this.protectGlobals();
  }

  /**
   * Gives scripts Lua 5.1's number functions where fengari's differ from Redis's Lua:
   *
   * - `tonumber` answers a float, as every number is a double in Lua 5.1. fengari reads a
   *   decimal text that fits 32 bits as an integer, and its integer arithmetic wraps at 2^31
   *   (`tonumber("2147483647") + 1` is -2147483648 there, 2147483648 in Redis); a float does the
   *   double arithmetic Redis does. The original is called in the same frame, so its argument
   *   errors name the script line as before.
   * - `math.max` and `math.min` are 5.1's: every argument must be a number (or a numeric text),
   *   else `bad argument #i to 'max' (number expected, got nil)`, where fengari's compare them
   *   and fail with `attempt to compare nil with number`; the result is a double.
   * - `string.format`'s integer items (`%d %i %o %u %x %X`) take any number, as 5.1's do
   *   (`(long)` of the double): fengari's raise "number has no integer representation" past 32
   *   bits or for a fraction. They are formatted here and handed to fengari's as `%s` items.
   * - `string.char` is 5.1's `str_char`: each argument truncated to an integer as x86-64 C casts a
   *   double (`(int)(ptrdiff_t)d`), and any value that is not a byte raises
   *   `bad argument #i to 'char' (invalid value)`. fengari's own passes its arguments to
   *   `luaL_argcheck` in the wrong order, so a value of 256 or more ended the script with a
   *   garbled error instead of that text.
   */
  private installLua51Numbers(): void {
    const L = this.state;
    lua.lua_getglobal(L, to_luastring("tonumber"));
    const rawTonumber = lua.lua_tocfunction(L, -1);
    lua.lua_pop(L, 1);
    if (typeof rawTonumber !== "function") {
      throw new Error("[streamstore] fake Redis Lua: fengari's tonumber is not a plain function");
    }
    lua.lua_pushjsfunction(L, (state) => {
      const results = (rawTonumber as LuaFunction)(state);
      if (lua.lua_isinteger(state, -1)) {
        const value = lua.lua_tonumber(state, -1);
        lua.lua_pop(state, 1);
        lua.lua_pushnumber(state, value);
      }
      return results;
    });
    lua.lua_setglobal(L, to_luastring("tonumber"));
    lua.lua_getglobal(L, to_luastring("string"));
    lua.lua_pushjsfunction(L, (state) => {
      const count = lua.lua_gettop(state);
      const bytes = new Uint8Array(count);
      for (let index = 1; index <= count; index++) {
        const code = luaCInt(lauxlib.luaL_checknumber(state, index));
        if (code < 0 || code > 255) {
          return lauxlib.luaL_argerror(state, index, to_luastring("invalid value"));
        }
        bytes[index - 1] = code;
      }
      lua.lua_pushstring(state, bytes);
      return 1;
    });
    lua.lua_setfield(L, -2, to_luastring("char"));
    lua.lua_pop(L, 1);
    lua.lua_getglobal(L, to_luastring("string"));
    lua.lua_getfield(L, -1, to_luastring("format"));
    const rawFormat = lua.lua_tocfunction(L, -1);
    lua.lua_pop(L, 1);
    if (typeof rawFormat !== "function") {
      throw new Error(
        "[streamstore] fake Redis Lua: fengari's string.format is not a plain function",
      );
    }
    lua.lua_pushjsfunction(L, (state) => {
      formatIntegers(state);
      return (rawFormat as LuaFunction)(state);
    });
    lua.lua_setfield(L, -2, to_luastring("format"));
    lua.lua_pop(L, 1);
    lua.lua_getglobal(L, to_luastring("math"));
    for (const [name, better] of [
      ["max", (candidate: number, best: number) => candidate > best],
      ["min", (candidate: number, best: number) => candidate < best],
    ] as const) {
      lua.lua_pushjsfunction(L, (state) => {
        let best = lauxlib.luaL_checknumber(state, 1);
        for (let index = 2; index <= lua.lua_gettop(state); index++) {
          const candidate = lauxlib.luaL_checknumber(state, index);
          if (better(candidate, best)) best = candidate;
        }
        lua.lua_pushnumber(state, best);
        return 1;
      });
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    lua.lua_pop(L, 1);
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
      return this.toRedisReply(-1);
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
    const text = toLua51Message(this.stringField(-1, "err") ?? "");
    const source = this.stringField(-1, "source");
    const line = this.stringField(-1, "line");
    let message = text;
    if (source !== undefined && line !== undefined) {
      message += ` script: ${sha}, on ${source}:${line}.`;
    }
    return replyError(message);
  }

  private stringField(index: number, name: string): string | undefined {
    const L = this.state;
    const type = lua.lua_getfield(L, index, to_luastring(name));
    const value =
      type === lua.LUA_TSTRING || type === lua.LUA_TNUMBER ? lua.lua_tojsstring(L, -1) : undefined;
    lua.lua_pop(L, 1);
    return value;
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

  /** `luaReplyToRedisReply`: converts the Lua value at `index` (RESP2 rules). */
  private toRedisReply(index: number): Reply {
    const L = this.state;
    const at = index < 0 ? lua.lua_gettop(L) + index + 1 : index;
    switch (lua.lua_type(L, at)) {
      case lua.LUA_TSTRING:
        return lua.lua_tojsstring(L, at);
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, at) ? 1 : null;
      case lua.LUA_TNUMBER:
        return Math.trunc(lua.lua_tonumber(L, at));
      case lua.LUA_TTABLE: {
        const err = this.stringField(at, "err");
        if (err !== undefined) return replyError(err);
        const ok = this.stringField(at, "ok");
        if (ok !== undefined) return new StatusReply(ok.replace(/[\r\n]/g, " "));
        if (lua.lua_getfield(L, at, to_luastring("double")) === lua.LUA_TNUMBER) {
          const value = lua.lua_tonumber(L, -1);
          lua.lua_pop(L, 1);
          return formatDouble(value);
        }
        lua.lua_pop(L, 1);
        const items: Reply[] = [];
        for (let position = 1; ; position++) {
          if (lua.lua_rawgeti(L, at, position) === lua.LUA_TNIL) {
            lua.lua_pop(L, 1);
            break;
          }
          items.push(this.toRedisReply(-1));
          lua.lua_pop(L, 1);
        }
        return items;
      }
      default:
        return null;
    }
  }

  /** `redisProtocolToLuaType` for RESP2 replies: pushes one value. */
  private pushReply(reply: Reply): void {
    const L = this.state;
    if (reply === null) {
      lua.lua_pushboolean(L, false);
    } else if (typeof reply === "string") {
      lua.lua_pushstring(L, to_luastring(reply));
    } else if (typeof reply === "number") {
      // Lua 5.1 has only doubles; fengari's integers are 32-bit and would wrap on INCR results.
      lua.lua_pushnumber(L, reply);
    } else if (reply instanceof StatusReply) {
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushstring(L, to_luastring(reply.value));
      lua.lua_setfield(L, -2, to_luastring("ok"));
    } else if (reply instanceof Error) {
      this.pushErrorTable(`-${reply.message}`);
    } else {
      lua.lua_createtable(L, reply.length, 0);
      for (let index = 0; index < reply.length; index++) {
        this.pushReply(reply[index] as Reply);
        lua.lua_rawseti(L, -2, index + 1);
      }
    }
  }

  /**
   * `luaPushErrorBuff`: an {err="CODE message"} table. A buffer starting with `-` carries its own
   * code (the first word); any other text gets the generic `ERR` code.
   */
  private pushErrorTable(buffer: string): void {
    const L = this.state;
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, to_luastring(luaErrorText(buffer)));
    lua.lua_setfield(L, -2, to_luastring("err"));
  }

  /** `luaArgsToRedisArgv`: numbers become `%.17g` text; anything else but strings is refused. */
  private argumentsToArgv(): string[] | undefined {
    const L = this.state;
    const count = lua.lua_gettop(L);
    const argv: string[] = [];
    for (let index = 1; index <= count; index++) {
      const type = lua.lua_type(L, index);
      if (type === lua.LUA_TNUMBER) argv.push(formatDouble(lua.lua_tonumber(L, index)));
      else if (type === lua.LUA_TSTRING) argv.push(lua.lua_tojsstring(L, index));
      else return undefined;
    }
    return argv;
  }

  private redisCommand(raise: boolean): LuaFunction {
    return (L) => {
      const call = this.current;
      if (call === undefined) {
        this.pushErrorTable("redis.call/pcall can only be called inside a script invocation");
        return lua.lua_error(L);
      }
      if (lua.lua_gettop(L) === 0) {
        this.pushErrorTable("Please specify at least one argument for this redis lib call");
        return raise ? lua.lua_error(L) : 1;
      }
      const argv = this.argumentsToArgv();
      lua.lua_settop(L, 0);
      if (argv === undefined) {
        this.pushErrorTable("Lua redis lib command arguments must be strings or integers");
        return raise ? lua.lua_error(L) : 1;
      }
      const reply = call.runCommand(argv);
      this.pushReply(reply);
      if (raise && reply instanceof Error) return lua.lua_error(L);
      return 1;
    };
  }

  private installRedisApi(): void {
    const L = this.state;
    lua.lua_createtable(L, 0, 24);
    const setFunction = (name: string, fn: LuaFunction) => {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, -2, to_luastring(name));
    };
    const setNumber = (name: string, value: number) => {
      lua.lua_pushinteger(L, value);
      lua.lua_setfield(L, -2, to_luastring(name));
    };
    setFunction("call", this.redisCommand(true));
    setFunction("pcall", this.redisCommand(false));
    setFunction("sha1hex", (state) => {
      if (lua.lua_gettop(state) !== 1) {
        this.pushErrorTable("wrong number of arguments");
        return lua.lua_error(state);
      }
      lua.lua_pushstring(state, to_luastring(sha1hex(lua.lua_tojsstring(state, 1))));
      return 1;
    });
    const singleField = (field: "ok" | "err") => (state: LuaState) => {
      if (lua.lua_gettop(state) !== 1 || lua.lua_type(state, -1) !== lua.LUA_TSTRING) {
        this.pushErrorTable("wrong number or type of arguments");
        return 1;
      }
      const text = lua.lua_tojsstring(state, -1);
      if (field === "err") {
        this.pushErrorTable(text.startsWith("-") ? text : `-${text}`);
      } else {
        lua.lua_createtable(state, 0, 1);
        lua.lua_pushstring(state, to_luastring(text));
        lua.lua_setfield(state, -2, to_luastring("ok"));
      }
      return 1;
    };
    setFunction("error_reply", singleField("err"));
    setFunction("status_reply", singleField("ok"));
    setFunction("log", (state) => {
      const count = lua.lua_gettop(state);
      if (count < 2) {
        this.pushErrorTable("redis.log() requires two arguments or more.");
        return lua.lua_error(state);
      }
      if (lua.lua_type(state, 1) !== lua.LUA_TNUMBER) {
        this.pushErrorTable("First argument must be a number (log level).");
        return lua.lua_error(state);
      }
      const level = lua.lua_tonumber(state, 1);
      if (level < 0 || level > 3) {
        this.pushErrorTable("Invalid debug level.");
        return lua.lua_error(state);
      }
      const parts: string[] = [];
      for (let index = 2; index <= count; index++) parts.push(lua.lua_tojsstring(state, index));
      this.current?.log?.(level, parts.join(" "));
      return 0;
    });
    setFunction("setresp", (state) => {
      if (lua.lua_gettop(state) !== 1) {
        this.pushErrorTable("redis.setresp() requires one argument.");
        return lua.lua_error(state);
      }
      const version = lua.lua_tonumber(state, 1);
      if (version !== 2 && version !== 3) {
        this.pushErrorTable("RESP version must be 2 or 3.");
        return lua.lua_error(state);
      }
      if (version === 3) {
        // RESP3 replies inside scripts (maps, doubles, booleans) are not emulated.
        this.pushErrorTable("[streamstore] the fake Redis runs scripts with RESP2 only");
        return lua.lua_error(state);
      }
      return 0;
    });
    setFunction("set_repl", () => 0);
    setFunction("replicate_commands", (state) => {
      lua.lua_pushboolean(state, true);
      return 1;
    });
    setFunction("breakpoint", (state) => {
      lua.lua_pushboolean(state, false);
      return 1;
    });
    setFunction("debug", () => 0);
    setNumber("LOG_DEBUG", 0);
    setNumber("LOG_VERBOSE", 1);
    setNumber("LOG_NOTICE", 2);
    setNumber("LOG_WARNING", 3);
    setNumber("REPL_NONE", 0);
    setNumber("REPL_AOF", 1);
    setNumber("REPL_SLAVE", 2);
    setNumber("REPL_REPLICA", 2);
    setNumber("REPL_ALL", 3);
    setNumber("REDIS_VERSION_NUM", 0x07000f);
    lua.lua_pushstring(L, to_luastring("7.0.15"));
    lua.lua_setfield(L, -2, to_luastring("REDIS_VERSION"));
    lua.lua_setglobal(L, to_luastring("redis"));
  }

  private installCjson(): void {
    const L = this.state;
    lua.lua_createtable(L, 0, 2);
    lua.lua_pushjsfunction(L, (state) => {
      let value: unknown;
      try {
        value = this.luaToJson(1, 0);
      } catch (error) {
        return lauxlib.luaL_error(state, to_luastring((error as Error).message));
      }
      lua.lua_pushstring(state, to_luastring(JSON.stringify(value)));
      return 1;
    });
    lua.lua_setfield(L, -2, to_luastring("encode"));
    lua.lua_pushjsfunction(L, (state) => {
      const text = lua.lua_tojsstring(state, 1);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return lauxlib.luaL_error(state, to_luastring(`Expected value but found invalid token`));
      }
      this.pushJson(value);
      return 1;
    });
    lua.lua_setfield(L, -2, to_luastring("decode"));
    lua.lua_setglobal(L, to_luastring("cjson"));
  }

  /** Redis's `struct` library, for integer formats (see luaStruct.ts). */
  private installStruct(): void {
    const L = this.state;
    const guarded =
      (body: (state: LuaState) => number): LuaFunction =>
      (state) => {
        try {
          return body(state);
        } catch (error) {
          if (!(error instanceof LuaStructError)) throw error;
          return lauxlib.luaL_error(state, to_luastring(error.message));
        }
      };
    lua.lua_createtable(L, 0, 3);
    lua.lua_pushjsfunction(
      L,
      guarded((state) => {
        const format = lua.lua_tojsstring(state, 1);
        const values: number[] = [];
        for (let index = 2; index <= lua.lua_gettop(state); index++) {
          values.push(lauxlib.luaL_checknumber(state, index));
        }
        lua.lua_pushstring(state, to_luastring(structPack(format, values)));
        return 1;
      }),
    );
    lua.lua_setfield(L, -2, to_luastring("pack"));
    lua.lua_pushjsfunction(
      L,
      guarded((state) => {
        const format = lua.lua_tojsstring(state, 1);
        const data = lua.lua_tojsstring(state, 2);
        const position = lua.lua_gettop(state) >= 3 ? lauxlib.luaL_checknumber(state, 3) : 1;
        const { values, next } = structUnpack(format, data, position);
        for (const value of values) lua.lua_pushnumber(state, value);
        lua.lua_pushnumber(state, next);
        return values.length + 1;
      }),
    );
    lua.lua_setfield(L, -2, to_luastring("unpack"));
    lua.lua_pushjsfunction(
      L,
      guarded((state) => {
        lua.lua_pushnumber(state, structSize(lua.lua_tojsstring(state, 1)));
        return 1;
      }),
    );
    lua.lua_setfield(L, -2, to_luastring("size"));
    lua.lua_setglobal(L, to_luastring("struct"));
  }

  /** Lua value → JSON value with lua-cjson's rules: a table with keys 1..n is an array. */
  private luaToJson(index: number, depth: number): unknown {
    const L = this.state;
    if (depth > 1000) throw new Error("Cannot serialise, excessive nesting (1001)");
    const at = index < 0 ? lua.lua_gettop(L) + index + 1 : index;
    switch (lua.lua_type(L, at)) {
      case lua.LUA_TNIL:
        return null;
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, at);
      case lua.LUA_TNUMBER:
        return lua.lua_tonumber(L, at);
      case lua.LUA_TSTRING:
        return lua.lua_tojsstring(L, at);
      case lua.LUA_TTABLE: {
        const entries: [unknown, unknown][] = [];
        lua.lua_pushnil(L);
        while (lua.lua_next(L, at) !== 0) {
          const keyType = lua.lua_type(L, -2);
          const key =
            keyType === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : lua.lua_tojsstring(L, -2);
          entries.push([key, this.luaToJson(-1, depth + 1)]);
          lua.lua_pop(L, 1);
        }
        const isArray =
          entries.length > 0 &&
          entries.every(([key]) => typeof key === "number" && Number.isInteger(key) && key >= 1);
        if (isArray) {
          // A loop, not Math.max(...): a script's reply table can be larger than the call stack.
          let max = 0;
          for (const [key] of entries) max = Math.max(max, key as number);
          const array: unknown[] = new Array(max).fill(null);
          for (const [key, value] of entries) array[(key as number) - 1] = value;
          return array;
        }
        const object: Record<string, unknown> = {};
        for (const [key, value] of entries) object[String(key)] = value;
        return object;
      }
      default:
        throw new Error(`Cannot serialise ${this.typeName(at)}: type not supported`);
    }
  }

  private typeName(index: number): string {
    const type = lua.lua_type(this.state, index);
    return type === lua.LUA_TNIL ? "nil" : "function";
  }

  private pushJson(value: unknown): void {
    const L = this.state;
    if (value === null || value === undefined) {
      // lua-cjson decodes null as the cjson.null lightuserdata; nil is the closest stand-in.
      lua.lua_pushnil(L);
    } else if (typeof value === "boolean") {
      lua.lua_pushboolean(L, value);
    } else if (typeof value === "number") {
      lua.lua_pushnumber(L, value);
    } else if (typeof value === "string") {
      lua.lua_pushstring(L, to_luastring(value));
    } else if (Array.isArray(value)) {
      lua.lua_createtable(L, value.length, 0);
      value.forEach((item, index) => {
        this.pushJson(item);
        lua.lua_rawseti(L, -2, index + 1);
      });
    } else {
      const entries = Object.entries(value as Record<string, unknown>);
      lua.lua_createtable(L, 0, entries.length);
      for (const [key, item] of entries) {
        this.pushJson(item);
        lua.lua_setfield(L, -2, to_luastring(key));
      }
    }
  }

  /**
   * Redis 7 globals protection: reading an unknown global and creating globals are errors
   * (`luaSetErrorMetatable`, `lua_enablereadonlytable` in src/script_lua.c). The handlers are
   * host functions, as in Redis, so the error handler attributes the error to the script line.
   */
  private protectGlobals(): void {
    const L = this.state;
    lua.lua_pushglobaltable(L);
    lua.lua_createtable(L, 0, 2);
    lua.lua_pushjsfunction(L, (state) => {
      const name = lua.lua_tojsstring(state, 2);
      // luaL_error prefixes the position of the caller: the script line reading the global.
      lauxlib.luaL_where(state, 1);
      const where = lua.lua_tojsstring(state, -1);
      lua.lua_pushstring(
        state,
        to_luastring(`${where}Script attempted to access nonexistent global variable '${name}'`),
      );
      return lua.lua_error(state);
    });
    lua.lua_setfield(L, -2, to_luastring("__index"));
    lua.lua_pushjsfunction(L, (state) => {
      // The readonly-table check is a VM error in Redis's Lua: it carries the script position.
      lauxlib.luaL_where(state, 1);
      const where = lua.lua_tojsstring(state, -1);
      lua.lua_pushstring(state, to_luastring(`${where}Attempt to modify a readonly table`));
      return lua.lua_error(state);
    });
    lua.lua_setfield(L, -2, to_luastring("__newindex"));
    lua.lua_setmetatable(L, -2);
    lua.lua_pop(L, 1);
  }
}
