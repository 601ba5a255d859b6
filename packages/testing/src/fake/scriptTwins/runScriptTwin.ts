import { formatDouble } from "../formatDouble.js";
import type { ScriptCall } from "../LuaScriptEngine.js";
import { luaErrorText, toLua51Message } from "../LuaScriptEngine.js";
import { type Reply, replyError, StatusReply } from "../replyError.js";
import {
  isScriptTwinFallback,
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinFallback,
  type ScriptTwinRedis,
} from "./ScriptTwin.js";

/** What `redis.call` throws inside a twin: the `{err=...}` table plus the line Lua would report. */
class ScriptTwinRaise {
  constructor(
    readonly err: string,
    readonly line: number,
  ) {}
}

/**
 * `redisProtocolToLuaType` for RESP2 replies: the value a Lua script would hold after
 * `redis.call`. Kept beside {@link fromLuaValue} so the two directions are read together.
 *
 * @example
 * ```ts
 * toLuaValue(null); // false
 * toLuaValue(new StatusReply("OK")); // { ok: "OK" }
 * ```
 */
export function toLuaValue(reply: Reply): LuaValue {
  if (reply === null) return false;
  if (typeof reply === "string" || typeof reply === "number") return reply;
  if (reply instanceof StatusReply) return { ok: reply.value };
  if (reply instanceof Error) return { err: luaErrorText(`-${reply.message}`) };
  return reply.map(toLuaValue);
}

/**
 * `luaReplyToRedisReply` (RESP2 rules): numbers truncate toward zero, `true` is 1, `false` and
 * nil are a nil reply, `{err}`/`{ok}`/`{double}` tables are error/status/double replies, and an
 * array stops at its first nil, as Lua's `#`-free walk in Redis does.
 *
 * @example
 * ```ts
 * fromLuaValue(["ok", 3.9, undefined, "lost"]); // ["ok", 3]
 * ```
 */
export function fromLuaValue(value: LuaValue): Reply {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Math.trunc(value);
  if (value === true) return 1;
  if (value === false || value === undefined || value === null) return null;
  if (Array.isArray(value)) {
    const items: Reply[] = [];
    for (const item of value) {
      if (item === undefined || item === null) break;
      items.push(fromLuaValue(item));
    }
    return items;
  }
  if ("err" in value) return replyError(value.err);
  if ("ok" in value) return new StatusReply(value.ok.replace(/[\r\n]/g, " "));
  return formatDouble(value.double);
}

/** `luaArgsToRedisArgv`: Lua numbers travel as `%.17g` text. */
function toArgv(command: string, args: readonly (string | number)[]): string[] {
  const argv = [command];
  for (const arg of args) argv.push(typeof arg === "number" ? formatDouble(arg) : arg);
  return argv;
}

/**
 * Runs a twin in place of its Lua: same dispatch for `redis.call`, same reply conversions, and
 * the error text `luaCallFunction` formats for an error raised at a script line. Returns
 * `undefined` when the twin hands the call to Lua (returned {@link SCRIPT_TWIN_FALLBACK}).
 *
 * @example
 * ```ts
 * const reply = runScriptTwin(twin, call, (argv) => argv[0] === "XADD");
 * ```
 */
export function runScriptTwin(
  twin: ScriptTwin,
  call: ScriptCall,
  isWriteCommand: (argv: readonly string[]) => boolean,
): Reply | undefined {
  let wrote = false;
  const dispatch = (argv: string[]): Reply => {
    if (!wrote && isWriteCommand(argv)) wrote = true;
    return call.runCommand(argv);
  };
  const redis: ScriptTwinRedis = {
    call(line, command, ...args) {
      const reply = dispatch(toArgv(command, args));
      if (reply instanceof Error)
        throw new ScriptTwinRaise(luaErrorText(`-${reply.message}`), line);
      return toLuaValue(reply);
    },
    pcall(command, ...args) {
      return toLuaValue(dispatch(toArgv(command, args)));
    },
    raise(line, message) {
      // What Redis's error handler makes of a Lua runtime error: 'ERR ' .. the message with the
      // position luaL_error prefixes (the script line calling the library function).
      throw new ScriptTwinRaise(`ERR user_script:${line}: ${message}`, line);
    },
  };
  let result: LuaValue | ScriptTwinFallback;
  try {
    result = twin.run(redis, call.keys, call.args);
  } catch (error) {
    if (error instanceof ScriptTwinRaise) {
      return replyError(
        `${toLua51Message(error.err)} script: ${call.sha}, on @user_script:${error.line}.`,
      );
    }
    throw error;
  }
  if (isScriptTwinFallback(result)) {
    // Lua would run the writes again: a twin that wrote before falling back is a bug in the twin.
    if (wrote) {
      throw new Error(
        `[streamstore] script twin "${twin.name}" fell back to Lua after a write: fall back before the first write.`,
      );
    }
    return undefined;
  }
  return fromLuaValue(result);
}
