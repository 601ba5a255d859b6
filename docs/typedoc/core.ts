/**
 * Typed events (zod), the event store on Redis Streams, deciders and `handleCommand`.
 *
 * @module @streamstore/core
 */
export * from "@streamstore/core";
