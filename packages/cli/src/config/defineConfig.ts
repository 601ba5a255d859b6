import type { EventCatalog } from "@streamstore/core";
import type { Projection, ProjectionRunnerOptions } from "@streamstore/projections";

/**
 * What `streamstore.config.ts` (or `.js`/`.mjs`) exports as default: where Redis is, the key
 * prefix, and the projection definitions the CLI needs to rebuild, retry dead letters, or decode
 * events with their schemas. Every field is optional; command-line options win over it.
 *
 * @example
 * export default defineConfig({ prefix: "shop", projections: [balances], events: bankEvents });
 */
export interface StreamstoreConfig {
  /** `redis://` or `rediss://` (TLS) URL, with `user:password@` for an ACL user. */
  redisUrl?: string;
  /** The event store's key prefix. Default `"ss"`. */
  prefix?: string;
  /** Projection definitions (rebuild, dead-letter retry and status use them). */
  // biome-ignore lint/suspicious/noExplicitAny: a config lists projections of any event catalog and state.
  projections?: readonly Projection<any, any>[];
  /** The event catalog, to decode events with their schemas in `stream show` (raw JSON without it). */
  events?: EventCatalog;
  /** Runner options for `projections rebuild` (batch size, timings); `redis` and `prefix` come from here. */
  runner?: Omit<ProjectionRunnerOptions, "redis" | "prefix" | "store" | "readModel" | "signal">;
}

/**
 * Types a `streamstore.config.ts` file; returns its argument unchanged.
 *
 * @example
 * import { defineConfig } from "@streamstore/cli";
 * export default defineConfig({ prefix: "shop", projections: [balances] });
 */
export function defineConfig(config: StreamstoreConfig): StreamstoreConfig {
  return config;
}
