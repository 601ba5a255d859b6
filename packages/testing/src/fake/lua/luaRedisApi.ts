import { type LuaFunction, type LuaState, lua, to_luastring } from "./luaRuntime.js";
import { type ScriptCall, sha1hex } from "./luaScriptText.js";
import { argumentsToArgv, pushErrorTable, pushReply } from "./luaValues.js";

// The `redis` global of scripts: call/pcall, replies, sha1hex, log, setresp and constants.

function redisCommand(
  engineState: LuaState,
  current: () => ScriptCall | undefined,
  raise: boolean,
): LuaFunction {
  return (L) => {
    const call = current();
    if (call === undefined) {
      pushErrorTable(engineState, "redis.call/pcall can only be called inside a script invocation");
      return lua.lua_error(L);
    }
    if (lua.lua_gettop(L) === 0) {
      pushErrorTable(engineState, "Please specify at least one argument for this redis lib call");
      return raise ? lua.lua_error(L) : 1;
    }
    const argv = argumentsToArgv(engineState);
    lua.lua_settop(L, 0);
    if (argv === undefined) {
      pushErrorTable(engineState, "Lua redis lib command arguments must be strings or integers");
      return raise ? lua.lua_error(L) : 1;
    }
    const reply = call.runCommand(argv);
    pushReply(engineState, reply);
    if (raise && reply instanceof Error) return lua.lua_error(L);
    return 1;
  };
}

export function installRedisApi(L: LuaState, current: () => ScriptCall | undefined): void {
  lua.lua_createtable(L, 0, 24);
  const setFunction = (name: string, fn: LuaFunction) => {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, to_luastring(name));
  };
  const setNumber = (name: string, value: number) => {
    lua.lua_pushinteger(L, value);
    lua.lua_setfield(L, -2, to_luastring(name));
  };
  setFunction("call", redisCommand(L, current, true));
  setFunction("pcall", redisCommand(L, current, false));
  setFunction("sha1hex", (state) => {
    if (lua.lua_gettop(state) !== 1) {
      pushErrorTable(L, "wrong number of arguments");
      return lua.lua_error(state);
    }
    lua.lua_pushstring(state, to_luastring(sha1hex(lua.lua_tojsstring(state, 1))));
    return 1;
  });
  const singleField = (field: "ok" | "err") => (state: LuaState) => {
    if (lua.lua_gettop(state) !== 1 || lua.lua_type(state, -1) !== lua.LUA_TSTRING) {
      pushErrorTable(L, "wrong number or type of arguments");
      return 1;
    }
    const text = lua.lua_tojsstring(state, -1);
    if (field === "err") {
      pushErrorTable(L, text.startsWith("-") ? text : `-${text}`);
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
      pushErrorTable(L, "redis.log() requires two arguments or more.");
      return lua.lua_error(state);
    }
    if (lua.lua_type(state, 1) !== lua.LUA_TNUMBER) {
      pushErrorTable(L, "First argument must be a number (log level).");
      return lua.lua_error(state);
    }
    const level = lua.lua_tonumber(state, 1);
    if (level < 0 || level > 3) {
      pushErrorTable(L, "Invalid debug level.");
      return lua.lua_error(state);
    }
    const parts: string[] = [];
    for (let index = 2; index <= count; index++) parts.push(lua.lua_tojsstring(state, index));
    current()?.log?.(level, parts.join(" "));
    return 0;
  });
  setFunction("setresp", (state) => {
    if (lua.lua_gettop(state) !== 1) {
      pushErrorTable(L, "redis.setresp() requires one argument.");
      return lua.lua_error(state);
    }
    const version = lua.lua_tonumber(state, 1);
    if (version !== 2 && version !== 3) {
      pushErrorTable(L, "RESP version must be 2 or 3.");
      return lua.lua_error(state);
    }
    if (version === 3) {
      // RESP3 replies inside scripts (maps, doubles, booleans) are not emulated.
      pushErrorTable(L, "[streamstore] the fake Redis runs scripts with RESP2 only");
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
