export {
  createPostgresTestDatabase,
  type PostgresTestDatabase,
  type PostgresTestDatabaseOptions,
} from "./createPostgresTestDatabase.js";
export {
  hasPostgresServerBinaries,
  type PostgresServerHandle,
  type PostgresStopMode,
  type StartPostgresServerOptions,
  startPostgresServer,
} from "./startPostgresServer.js";
