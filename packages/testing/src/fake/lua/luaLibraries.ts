import { LuaStructError, structPack, structSize, structUnpack } from "../luaStruct.js";
import { type LuaFunction, type LuaState, lauxlib, lua, to_luastring } from "./luaRuntime.js";
import { luaToJson, pushJson } from "./luaValues.js";

// The libraries Redis adds to scripts (cjson, struct) and its protection of globals.

export function installCjson(L: LuaState): void {
  lua.lua_createtable(L, 0, 2);
  lua.lua_pushjsfunction(L, (state) => {
    let value: unknown;
    try {
      value = luaToJson(L, 1, 0);
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
    pushJson(L, value);
    return 1;
  });
  lua.lua_setfield(L, -2, to_luastring("decode"));
  lua.lua_setglobal(L, to_luastring("cjson"));
}

/** Redis's `struct` library, for integer formats (see luaStruct.ts). */
export function installStruct(L: LuaState): void {
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

/**
 * Redis 7 globals protection: reading an unknown global and creating globals are errors
 * (`luaSetErrorMetatable`, `lua_enablereadonlytable` in src/script_lua.c). The handlers are
 * host functions, as in Redis, so the error handler attributes the error to the script line.
 */
export function protectGlobals(L: LuaState): void {
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
