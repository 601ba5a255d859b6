/**
 * What users of @streamstore/cli call. What the sibling packages and this package's tests need and
 * users should not call is in ./internal.ts ("@streamstore/cli/internal");
 * test/publicApi.exports.unit.spec.ts pins the runtime names.
 */
export {
  type ArchiverConfig,
  defineConfig,
  type StreamstoreConfig,
} from "./config/defineConfig.js";
export type { CommandIo, Interrupt } from "./context/CommandContext.js";
export { EXIT_CODES, type ExitCode } from "./exitCodes.js";
export { runCli } from "./program.js";
