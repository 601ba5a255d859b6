/**
 * The cold tier: archived events in PostgreSQL (`createPostgresArchive`), one plain queryable table.
 *
 * @module @streamstore/archive
 */
export * from "@streamstore/archive";
