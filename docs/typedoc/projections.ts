/**
 * Read-model projections and reactors on Redis Streams: runner, checkpoints, leases, dead letters, rebuild, status.
 *
 * @module @streamstore/projections
 */
export * from "@streamstore/projections";
