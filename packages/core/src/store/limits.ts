/**
 * The hard limits of the store: options are checked against them when a store is created, and
 * readers check what Redis gives back against them. See "Limits" in the @streamstore/core README.
 */

/**
 * Most events in one append (the cap of the `maxBatchSize` option). An append is one script call
 * carrying 3 to 5 arguments per event, all or nothing: a batch of 25,000 events with metadata
 * already overflowed the JavaScript call stack, and one script call blocks Redis for its whole
 * batch (measured: ~19 ms for 1,000 events, ~150 ms for 10,000). 10,000 keeps a wide margin on
 * both.
 */
export const MAX_BATCH_SIZE = 10_000;

/**
 * Most bytes (UTF-8 data and metadata JSON, summed over its events) in one append. The command
 * is built as one string, and a JavaScript string holds at most 2^29 - 24 characters (3 events
 * of 200 MiB failed with `RangeError: Invalid string length`); Redis also closes a client whose
 * query passes `client-query-buffer-limit` (1 GiB by default). 256 MiB keeps half of the first
 * bound free. It is also the cap of the `maxEventBytes` option.
 */
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;

/**
 * Most partitions of a category (the cap of the `partitions` option). A category registry entry
 * above it was not written by streamstore and is refused (`CorruptCategoryRegistryError`).
 */
export const MAX_PARTITIONS = 1024;
