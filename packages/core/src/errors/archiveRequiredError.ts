import { isStreamstoreError, StreamstoreError } from "./StreamstoreError.js";

/**
 * A read reached versions of a stream that the archiver moved to the archive, and this store
 * (or projection, or CLI) was given no archive to read them from.
 *
 * @example
 * if (isArchiveRequiredError(error)) console.log(error.streamName, error.archived);
 */
export class ArchiveRequiredError extends StreamstoreError {
  constructor(
    /** The stream, or the category partition log (`<category>/<partition>`), that was read. */
    readonly streamName: string,
    /** How many of its oldest versions (or entries) live in the archive only. */
    readonly archived: number,
  ) {
    super(
      "ARCHIVE_REQUIRED",
      `[streamstore] the oldest ${archived} event${archived === 1 ? "" : "s"} of "${streamName}" ${archived === 1 ? "is" : "are"} archived (moved out of Redis by the archiver): pass the same \`archive\` the archiver writes to (createPostgresArchive from @streamstore/archive) to read ${archived === 1 ? "it" : "them"}. Nothing was changed. See "Archiving" in the @streamstore/archive README.`,
    );
  }
}

/** @example if (isArchiveRequiredError(error)) console.log(error.archived); */
export const isArchiveRequiredError = (error: unknown): error is ArchiveRequiredError =>
  isStreamstoreError(error, "ARCHIVE_REQUIRED");
