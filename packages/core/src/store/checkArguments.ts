import { InvalidArgumentError } from "../errors/index.js";

/**
 * An integer from 1 to `max`, or an `InvalidArgumentError` naming the argument (`why` is added
 * to the message: where the bound comes from).
 *
 * @example
 * const pageSize = checkPositiveInteger("pageSize", options.pageSize, 100_000);
 */
export function checkPositiveInteger(
  name: string,
  value: unknown,
  max = Number.MAX_SAFE_INTEGER,
  why = "",
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      name,
      `${String(value)} must be an integer from 1 to ${max}${why}.`,
    );
  }
  return value;
}

/**
 * A version (an integer >= 0), or undefined when not given; else an `InvalidArgumentError`.
 *
 * @example
 * const from = checkVersionBound("from", options.from);
 */
export function checkVersionBound(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(name, `${String(value)} must be a version: an integer >= 0.`);
  }
  return value;
}
