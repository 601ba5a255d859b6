import { formatDouble } from "../formatDouble.js";
import { type Reply, replyError, StatusReply } from "../replyError.js";
import { type LuaState, lua, to_luastring } from "./luaRuntime.js";
import { luaErrorText } from "./luaScriptText.js";

// Conversions between Lua values and Redis replies (src/script_lua.c) and JSON (cjson).

export function stringField(L: LuaState, index: number, name: string): string | undefined {
  const type = lua.lua_getfield(L, index, to_luastring(name));
  const value =
    type === lua.LUA_TSTRING || type === lua.LUA_TNUMBER ? lua.lua_tojsstring(L, -1) : undefined;
  lua.lua_pop(L, 1);
  return value;
}

/** `luaReplyToRedisReply`: converts the Lua value at `index` (RESP2 rules). */
export function toRedisReply(L: LuaState, index: number): Reply {
  const at = index < 0 ? lua.lua_gettop(L) + index + 1 : index;
  switch (lua.lua_type(L, at)) {
    case lua.LUA_TSTRING:
      return lua.lua_tojsstring(L, at);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, at) ? 1 : null;
    case lua.LUA_TNUMBER:
      return Math.trunc(lua.lua_tonumber(L, at));
    case lua.LUA_TTABLE: {
      const err = stringField(L, at, "err");
      if (err !== undefined) return replyError(err);
      const ok = stringField(L, at, "ok");
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
        items.push(toRedisReply(L, -1));
        lua.lua_pop(L, 1);
      }
      return items;
    }
    default:
      return null;
  }
}

/** `redisProtocolToLuaType` for RESP2 replies: pushes one value. */
export function pushReply(L: LuaState, reply: Reply): void {
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
    pushErrorTable(L, `-${reply.message}`);
  } else {
    lua.lua_createtable(L, reply.length, 0);
    for (let index = 0; index < reply.length; index++) {
      pushReply(L, reply[index] as Reply);
      lua.lua_rawseti(L, -2, index + 1);
    }
  }
}

/**
 * `luaPushErrorBuff`: an {err="CODE message"} table. A buffer starting with `-` carries its own
 * code (the first word); any other text gets the generic `ERR` code.
 */
export function pushErrorTable(L: LuaState, buffer: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, to_luastring(luaErrorText(buffer)));
  lua.lua_setfield(L, -2, to_luastring("err"));
}

/** `luaArgsToRedisArgv`: numbers become `%.17g` text; anything else but strings is refused. */
export function argumentsToArgv(L: LuaState): string[] | undefined {
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

/** Lua value → JSON value with lua-cjson's rules: a table with keys 1..n is an array. */
export function luaToJson(L: LuaState, index: number, depth: number): unknown {
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
        entries.push([key, luaToJson(L, -1, depth + 1)]);
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
      throw new Error(`Cannot serialise ${typeName(L, at)}: type not supported`);
  }
}

function typeName(L: LuaState, index: number): string {
  const type = lua.lua_type(L, index);
  return type === lua.LUA_TNIL ? "nil" : "function";
}

export function pushJson(L: LuaState, value: unknown): void {
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
      pushJson(L, item);
      lua.lua_rawseti(L, -2, index + 1);
    });
  } else {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      pushJson(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}
