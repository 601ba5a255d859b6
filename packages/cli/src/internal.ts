/**
 * What the sibling packages and the tests of @streamstore/cli need and users should not call: no
 * stability promise. Import from "@streamstore/cli/internal".
 */
export { CONFIG_FILE_NAMES, findConfigFile, loadConfig } from "./config/loadConfig.js";
export {
  type CommandContext,
  createCommandContext,
  type GlobalOptions,
  HOW_TO_GIVE_AN_ARCHIVE,
} from "./context/CommandContext.js";
export { findNoPermission, noPermissionError } from "./context/noPermissionError.js";
export { isCluster, type RedisClient, serversOf } from "./context/RedisClient.js";
export {
  checkExposure,
  type ExposureOptions,
  exposureWarning,
  isLoopbackAddress,
  isLoopbackHost,
} from "./dashboard/checkExposure.js";
export {
  type ArchiveSnapshot,
  type CategorySnapshot,
  type CollectSnapshotOptions,
  type ConsumerGroupSnapshot,
  collectSnapshot,
  type DashboardSnapshot,
  type PartitionTierSnapshot,
  type ProjectionSnapshot,
  type ReactorSnapshot,
  reactorSnapshot,
} from "./dashboard/collectSnapshot.js";
export {
  createSampleHistory,
  type DashboardSample,
  type ProjectionSample,
  type SampleHistory,
} from "./dashboard/createSampleHistory.js";
export {
  InvalidDashboardOptionError,
  UnprotectedDashboardError,
} from "./dashboard/dashboardErrors.js";
export {
  checkTokenShape,
  createTokenCheck,
  DASHBOARD_TOKEN_ENV,
  MIN_TOKEN_LENGTH,
  type TokenCheck,
  type TokenDecision,
} from "./dashboard/dashboardToken.js";
export {
  createEventClients,
  DEFAULT_MAX_CLIENTS,
  type EventClient,
  type EventClientStats,
  type EventClients,
  MIN_QUEUE_BOUND,
} from "./dashboard/eventClients.js";
export {
  type DashboardCommandOptions,
  registerDashboard,
  runDashboard,
} from "./dashboard/registerDashboard.js";
export {
  type DashboardPageOptions,
  escapeHtml,
  jsonForScript,
  renderDashboardPage,
} from "./dashboard/renderDashboardPage.js";
export {
  type AllowedHost,
  allowedHostsFor,
  type GuardedHeaders,
  type GuardVerdict,
  guardRequest,
  parseAllowedHosts,
  parseHost,
} from "./dashboard/requestGuard.js";
export {
  type DashboardServer,
  type DashboardServerOptions,
  DEFAULT_DASHBOARD_OPTIONS,
  startDashboardServer,
} from "./dashboard/startDashboardServer.js";
export { CliError, EXIT_CODES_HELP } from "./exitCodes.js";
export { createCliLogger, isLogLevel, type LogLevel } from "./output/cliLogger.js";
export { type Colors, createOutput, type Output } from "./output/Output.js";
export { createProgram } from "./program.js";
