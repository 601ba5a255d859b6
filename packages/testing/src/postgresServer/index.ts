export {
  hasPostgresServerBinaries,
  type PostgresServerHandle,
  type PostgresStopMode,
  type StartPostgresServerOptions,
  startPostgresServer,
} from "./startPostgresServer.js";
