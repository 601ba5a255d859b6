import { type LuaFunction, type LuaState, lauxlib, lua, to_luastring } from "./luaRuntime.js";

// Lua 5.1's numbers in fengari's Lua 5.3: tonumber, string.char/format, math.max/min.

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
export function installLua51Numbers(L: LuaState): void {
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
