import { InvalidArgumentError } from "./errors.js";
import { isStreamstoreError, StreamstoreError } from "./StreamstoreError.js";

/**
 * An append's batch is over a limit: the store's `maxBatchSize` (events), or the bytes one append
 * can carry (`MAX_BATCH_BYTES`). An append is one script call, all or nothing, so the store never
 * splits a batch itself; nothing was written. Its code is `INVALID_ARGUMENT`, as for any refused
 * argument; `isBatchTooLargeError` tells this one apart.
 *
 * @example
 * catch (error) { if (isBatchTooLargeError(error)) console.log(error.size, error.limit, error.unit); }
 */
export class BatchTooLargeError extends InvalidArgumentError {
  /** Marks this subclass across duplicated package copies (see `isBatchTooLargeError`). */
  readonly batchTooLarge = true;

  constructor(
    /** The batch's size, in `unit`. */
    readonly size: number,
    /** The limit it is over, in `unit`. */
    readonly limit: number,
    /** `"events"`: over `maxBatchSize`; `"bytes"`: over `MAX_BATCH_BYTES` (data and metadata). */
    readonly unit: "events" | "bytes",
    /** What to do besides splitting (e.g. raise maxBatchSize up to its cap). */
    hint: string,
  ) {
    super(
      "events",
      `the batch has ${size} ${unit === "events" ? "events" : "bytes of data and metadata"}, over the limit of ${limit}${unit === "events" ? " events (maxBatchSize)" : " bytes that one append can carry"}: split it into several appends (each is atomic on its own; pass expectedVersion to chain them)${hint}. Nothing was written. See "Limits" in the @streamstore/core README.`,
    );
  }
}

/** @example if (isBatchTooLargeError(error)) console.log(error.limit); */
export const isBatchTooLargeError = (error: unknown): error is BatchTooLargeError =>
  isStreamstoreError(error, "INVALID_ARGUMENT") &&
  (error as { batchTooLarge?: unknown }).batchTooLarge === true;

/**
 * A field of the category registry (`<prefix>:categories`: category → partition count) holds
 * something that is not a partition count the toolkit can have written: not a whole number from 1
 * to `MAX_PARTITIONS`, or a field that is not a category name. Someone wrote it by hand (or
 * another tool did). Nothing of that category was read or written; readers of the whole registry
 * (the CLI's `categories`) report it and go on with the other categories.
 *
 * @example
 * if (isCorruptCategoryRegistryError(error)) console.log(error.key, error.field, error.value);
 */
export class CorruptCategoryRegistryError extends StreamstoreError {
  constructor(
    /** The registry's key, `<prefix>:categories`. */
    readonly key: string,
    /** The field (the category name), shortened when long. */
    readonly field: string,
    /** The value stored there, shortened when long. */
    readonly value: string,
    /** What is wrong with it. */
    readonly reason: string,
  ) {
    super(
      "CORRUPT_CATEGORY_REGISTRY",
      `[streamstore] the category registry ${key} holds field ${JSON.stringify(field)} = ${JSON.stringify(value)}: ${reason}. It was written by hand or by another tool; nothing of this category was read or written. Set the field back to the category's partition count (HSET ${key} <category> <count>; its logs are the keys "<prefix>:{<category>:<partition>}:log"), or delete the field if the category has no events. See "Storage layout" in the @streamstore/core README.`,
    );
  }
}

/** @example if (isCorruptCategoryRegistryError(error)) console.log(error.field); */
export const isCorruptCategoryRegistryError = (
  error: unknown,
): error is CorruptCategoryRegistryError => isStreamstoreError(error, "CORRUPT_CATEGORY_REGISTRY");
