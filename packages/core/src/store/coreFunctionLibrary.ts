import { defineFunctionLibrary } from "../scripting/functionLibrary.js";
import {
  APPEND_SCRIPT,
  ARCHIVE_TRIM_SCRIPT,
  READ_SCRIPT,
  SNAPSHOT_SCRIPT,
  VERSION_SCRIPT,
} from "./scripts.js";

/**
 * The Redis Functions library of @streamstore/core: the append, read, version, snapshot and
 * archive-trim scripts. The event store loads it on first use where it is missing; a deployment
 * whose application user may not load functions loads it once with
 * `streamstore functions install` or `installFunctionLibraries(redis, [coreFunctionLibrary])`.
 *
 * @example
 * await installFunctionLibraries(adminRedis, [coreFunctionLibrary]);
 */
export const coreFunctionLibrary = defineFunctionLibrary("core", {
  append: APPEND_SCRIPT,
  archive_trim: ARCHIVE_TRIM_SCRIPT,
  read: READ_SCRIPT,
  snapshot: SNAPSHOT_SCRIPT,
  version: VERSION_SCRIPT,
});
