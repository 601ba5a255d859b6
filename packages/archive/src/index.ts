/**
 * What users of @streamstore/archive call. What the sibling packages and this package's tests need
 * and users should not call is in ./internal.ts ("@streamstore/archive/internal");
 * test/publicApi.exports.unit.spec.ts pins the runtime names.
 */
export {
  type ArchivePolicy,
  type ArchiverOptions,
  DEFAULT_ARCHIVER_OPTIONS,
} from "./archiver/ArchiverOptions.js";
export { archiveFunctionLibrary } from "./archiver/archiverLease.js";
export {
  type Archiver,
  type ArchiverPartitionProgress,
  startArchiver,
} from "./archiver/startArchiver.js";
export {
  createPostgresArchive,
  DEFAULT_POSTGRES_ARCHIVE_OPTIONS,
  type PostgresArchiveOptions,
} from "./createPostgresArchive.js";
export { ARCHIVE_SCHEMA_VERSION } from "./ensureArchiveSchema.js";
