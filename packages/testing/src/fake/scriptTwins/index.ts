export { fromLuaValue, toLuaValue } from "./runScriptTwin.js";
export {
  isScriptTwinFallback,
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinFallback,
  type ScriptTwinRedis,
} from "./ScriptTwin.js";
