export { archiveFunctionLibrary } from "./archiver/archiverLease.js";
export * from "./archiver/index.js";
export { maskConnectionString } from "./archiveTarget.js";
export {
  createPostgresArchive,
  DEFAULT_POSTGRES_ARCHIVE_OPTIONS,
  type PostgresArchiveOptions,
} from "./createPostgresArchive.js";
export { ARCHIVE_SCHEMA_VERSION } from "./ensureArchiveSchema.js";
