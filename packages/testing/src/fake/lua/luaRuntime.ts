import { createRequire } from "node:module";
import { byteStringToBytes, bytesToByteString } from "../byteString.js";
import { formatDouble } from "../formatDouble.js";

// fengari ships no type declarations; this is the slice of its C-like API the engine uses.
export type LuaState = object;
export type LuaFunction = (state: LuaState) => number;
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
export const { lauxlib, lualib } = fengari;
// The fake's strings are byte strings (see byteString.ts), so Lua gets and gives exactly their
// bytes, never a UTF-8 re-encoding: both conversions of the engine go through these two.
export const to_luastring = byteStringToBytes;
export const lua: FengariModule["lua"] = {
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
