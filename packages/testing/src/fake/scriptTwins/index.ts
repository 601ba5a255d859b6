export {
  APPEND_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  READ_SCRIPT_TWIN,
  SNAPSHOT_SCRIPT_TWIN,
  VERSION_SCRIPT_TWIN,
} from "./coreScriptTwins.js";
export {
  ACQUIRE_LEASE_SCRIPT_TWIN,
  COMMIT_SCRIPT_TWIN,
  DEAD_LETTER_COMMIT_SCRIPT_TWIN,
  HEARTBEAT_SCRIPT_TWIN,
  PROJECTION_SCRIPT_TWINS,
  RENEW_LEASE_SCRIPT_TWIN,
  SWITCH_ACTIVE_BUILD_SCRIPT_TWIN,
} from "./projectionScriptTwins.js";
export { fromLuaValue, toLuaValue } from "./runScriptTwin.js";
export {
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinRedis,
} from "./ScriptTwin.js";
export { scriptLine } from "./scriptLine.js";
