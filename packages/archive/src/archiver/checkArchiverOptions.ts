import { InvalidArgumentError, MAX_BATCH_SIZE } from "@streamstore/core";
import { assertRedisClient } from "@streamstore/core/internal";
import { type ArchiverOptions, DEFAULT_ARCHIVER_OPTIONS } from "./ArchiverOptions.js";

function integer(name: string, value: unknown, lowest: number, highest?: number): number {
  if (
    typeof value !== "number" ||
    !Number.isSafeInteger(value) ||
    value < lowest ||
    (highest !== undefined && value > highest)
  ) {
    throw new InvalidArgumentError(
      name,
      `${String(value)} must be an integer ${highest === undefined ? `>= ${lowest}` : `from ${lowest} to ${highest}`}.`,
    );
  }
  return value;
}

/**
 * Checks an archiver's options before anything runs: a typo in a policy must not archive (and
 * trim) more than meant.
 *
 * @example
 * const settings = checkArchiverOptions(options);
 */
export function checkArchiverOptions(options: ArchiverOptions) {
  if (!options || typeof options !== "object") {
    throw new InvalidArgumentError("options", "pass { redis, archive, policies }.");
  }
  assertRedisClient(options.redis);
  const archive = options.archive as unknown as Record<string, unknown> | undefined;
  if (!archive || typeof archive.write !== "function" || typeof archive.readStream !== "function") {
    throw new InvalidArgumentError(
      "archive",
      "pass an EventArchive: createPostgresArchive({ connectionString }) from @streamstore/archive.",
    );
  }
  if (!options.policies || typeof options.policies !== "object") {
    throw new InvalidArgumentError(
      "policies",
      "pass what stays hot per category, e.g. { default: { keepMs: 604800000 } }.",
    );
  }
  for (const [category, policy] of Object.entries(options.policies)) {
    if (policy === undefined) continue;
    if (typeof policy !== "object" || policy === null) {
      throw new InvalidArgumentError(`policies.${category}`, "must be { keepEvents?, keepMs? }.");
    }
    const unknown = Object.keys(policy).filter((key) => key !== "keepEvents" && key !== "keepMs");
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        `policies.${category}`,
        `has unknown settings ${unknown.join(", ")} (known: keepEvents, keepMs).`,
      );
    }
    if (policy.keepEvents === undefined && policy.keepMs === undefined) {
      throw new InvalidArgumentError(
        `policies.${category}`,
        "sets neither keepEvents nor keepMs: say what stays hot (omit the category to never archive it).",
      );
    }
    if (policy.keepEvents !== undefined)
      integer(`policies.${category}.keepEvents`, policy.keepEvents, 0);
    if (policy.keepMs !== undefined) integer(`policies.${category}.keepMs`, policy.keepMs, 0);
  }
  return {
    minAgeMs: integer("minAgeMs", options.minAgeMs ?? DEFAULT_ARCHIVER_OPTIONS.minAgeMs, 1000),
    respectConsumerGroups:
      options.respectConsumerGroups ?? DEFAULT_ARCHIVER_OPTIONS.respectConsumerGroups,
    // A step is one XRANGE, one archive write and one trim script: bounded like an append.
    batchSize: integer(
      "batchSize",
      options.batchSize ?? DEFAULT_ARCHIVER_OPTIONS.batchSize,
      1,
      MAX_BATCH_SIZE,
    ),
    idleMs: integer("idleMs", options.idleMs ?? DEFAULT_ARCHIVER_OPTIONS.idleMs, 1),
    leaseMs: integer("leaseMs", options.leaseMs ?? DEFAULT_ARCHIVER_OPTIONS.leaseMs, 1000),
  };
}
