import type { ArchiverOptions } from "@streamstore/archive";
import type { EventArchive, EventCatalog } from "@streamstore/core";
import type { Projection, ProjectionRunnerOptions, Reactor } from "@streamstore/projections";

/**
 * What `streamstore archive run` takes from the config: `startArchiver`'s options but the
 * connections (`redis`, `archive`, `prefix` and `logger` come from the CLI). `policies` may be
 * left out when the command's flags (`--keep-events`, `--keep`) say what stays hot.
 *
 * @example
 * const archiver: ArchiverConfig = { policies: { default: { keepMs: 7 * 24 * 3600_000 } }, minAgeMs: 600_000 };
 */
export type ArchiverConfig = Omit<
  ArchiverOptions,
  "redis" | "archive" | "prefix" | "logger" | "policies"
> &
  Partial<Pick<ArchiverOptions, "policies">>;

/**
 * What `streamstore.config.ts` (or `.js`/`.mjs`) exports as default: where Redis is, the key
 * prefix, and the projection and reactor definitions the CLI needs to rebuild, retry dead
 * letters, or decode events with their schemas. Every field is optional; command-line options win over it.
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
  /**
   * Reactor definitions (`defineReactor`): `dlq retry` of a reactor's dead letter runs its
   * handler; `projections list/status` name them even before they first ran (they are found in
   * Redis without it too).
   */
  // biome-ignore lint/suspicious/noExplicitAny: a config lists reactors of any event catalog.
  reactors?: readonly Reactor<any>[];
  /** The event catalog, to decode events with their schemas in `stream show` (raw JSON without it). */
  events?: EventCatalog;
  /** Runner options for `projections rebuild` (batch size, timings); `redis` and `prefix` come from here. */
  runner?: Omit<ProjectionRunnerOptions, "redis" | "prefix" | "store" | "readModel" | "signal">;
  /**
   * The cold tier the archiver moves events to (`createPostgresArchive({ connectionString })` of
   * @streamstore/archive): `archive run` writes to it, `archive status`, `categories` and the
   * dashboard report its size, `stream show` reads archived versions from it and `doctor` checks
   * it. `--archive-url` (or `STREAMSTORE_ARCHIVE_URL`) wins over it. The CLI closes it when the
   * command ends.
   */
  archive?: EventArchive;
  /** Options of `streamstore archive run` (`startArchiver`): policies, minAgeMs, batchSize, … */
  archiver?: ArchiverConfig;
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
