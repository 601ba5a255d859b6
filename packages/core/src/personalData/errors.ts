import { isStreamstoreError, StreamstoreError } from "../errors/StreamstoreError.js";

const README = 'see "Personal data" in the @streamstore/core README';

/**
 * An event type with personal fields was appended without a data subject: neither its
 * `dataSubject()` field nor `metadata.dataSubject` named one. Nothing was written.
 *
 * @example
 * if (isStreamstoreError(error, "MISSING_DATA_SUBJECT")) console.log(error.eventType);
 */
export class MissingDataSubjectError extends StreamstoreError {
  constructor(readonly eventType: string) {
    super(
      "MISSING_DATA_SUBJECT",
      `[streamstore] event "${eventType}" has personal fields but names no data subject: fill its dataSubject() field, or pass metadata.dataSubject; nothing was written (${README}).`,
    );
  }
}

/**
 * A data subject id is empty, too long (over 128 characters) or uses a character other than
 * letters, digits, `_ . @ + -`. Nothing was written.
 *
 * @example
 * if (isStreamstoreError(error, "INVALID_DATA_SUBJECT")) console.log(error.reason);
 */
export class InvalidDataSubjectError extends StreamstoreError {
  constructor(
    readonly subject: unknown,
    readonly reason: string,
  ) {
    super(
      "INVALID_DATA_SUBJECT",
      `[streamstore] invalid data subject ${JSON.stringify(typeof subject === "string" && subject.length > 40 ? `${subject.slice(0, 40)}…` : subject)}: ${reason}. A subject id is 1–128 letters, digits, "_", ".", "@", "+" or "-" (an opaque id such as a customer id, never an email); nothing was written (${README}).`,
    );
  }
}

/**
 * An append carried personal data of a subject whose key was destroyed by `forgetSubject`: the
 * store refuses it rather than create a new key, so a forgotten person never silently comes back
 * under the same id. Nothing was written.
 *
 * @example
 * if (isStreamstoreError(error, "SUBJECT_FORGOTTEN")) console.log(error.subject);
 */
export class SubjectForgottenError extends StreamstoreError {
  constructor(readonly subject: string) {
    super(
      "SUBJECT_FORGOTTEN",
      `[streamstore] data subject "${subject}" was forgotten (its key is destroyed): appends of its personal data are refused. Give a returning person a new subject id; nothing was written (${README}).`,
    );
  }
}

/** @example if (isMissingDataSubjectError(error)) console.log(error.eventType); */
export const isMissingDataSubjectError = (error: unknown): error is MissingDataSubjectError =>
  isStreamstoreError(error, "MISSING_DATA_SUBJECT");
/** @example if (isInvalidDataSubjectError(error)) console.log(error.reason); */
export const isInvalidDataSubjectError = (error: unknown): error is InvalidDataSubjectError =>
  isStreamstoreError(error, "INVALID_DATA_SUBJECT");
/** @example if (isSubjectForgottenError(error)) console.log(error.subject); */
export const isSubjectForgottenError = (error: unknown): error is SubjectForgottenError =>
  isStreamstoreError(error, "SUBJECT_FORGOTTEN");
