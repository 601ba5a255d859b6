export {
  APPEND_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  SNAPSHOT_SCRIPT_TWIN,
  VERSION_SCRIPT_TWIN,
} from "./coreScriptTwins.js";
export { fromLuaValue, toLuaValue } from "./runScriptTwin.js";
export {
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinRedis,
} from "./ScriptTwin.js";
export { scriptLine } from "./scriptLine.js";
