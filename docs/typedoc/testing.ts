/**
 * The in-memory Redis Streams fake, given/when/then specifications, private redis-server and cluster, fault injection.
 *
 * @module @streamstore/testing
 */
export * from "@streamstore/testing";
