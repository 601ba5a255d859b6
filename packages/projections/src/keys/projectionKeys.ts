import { InvalidArgumentError } from "@streamstore/core";
import { assertKeyPrefix } from "@streamstore/core/internal";

/**
 * The Redis keys of one projection. Every key of one build shares the hash tag
 * `{rm:<name>:<build>}`, so the commit script (documents + checkpoint + dead letters + attempts)
 * stays on one Redis Cluster slot. The active-build pointer and the retired-builds set live
 * outside any build (readers and cleaners read them without knowing the build).
 *
 * @example
 * const keys = projectionKeys("shop", "balances");
 * keys.doc("v1", "account-1"); // "shop:{rm:balances:v1}:doc:account-1"
 */
export function projectionKeys(prefix: string, name: string) {
  assertKeyPrefix(prefix);
  const tag = (build: string) => `${prefix}:{rm:${name}:${build}}`;
  return {
    prefix,
    name,
    /** The hash tag of a build, braces included. */
    tag,
    /** A document: `<revision>:<JSON>`. */
    doc: (build: string, key: string) => `${tag(build)}:doc:${key}`,
    /** Hash: `<category>:<partition>` → `<last applied position>|<applied-entry count>`. */
    checkpoints: (build: string) => `${tag(build)}:checkpoints`,
    /** Counter: the fence token of a partition (INCR at every lease acquisition). */
    fence: (build: string, partition: string) => `${tag(build)}:fence:${partition}`,
    /** String `<worker>|<token>` with a TTL: who owns a partition. */
    lease: (build: string, partition: string) => `${tag(build)}:lease:${partition}`,
    /** Hash: worker id → heartbeat expiry (server ms). */
    members: (build: string) => `${tag(build)}:members`,
    /** Hash: `<category>:<partition>:<entry id>` → handler attempts so far. */
    attempts: (build: string) => `${tag(build)}:attempts`,
    /** Stream of dead letters of the build. */
    deadLetters: (build: string) => `${tag(build)}:dlq`,
    /** Hash: `<category>:<partition>` → `<state>|<worker>|<ms>` (for status). */
    states: (build: string) => `${tag(build)}:states`,
    /** The build readers use (string). */
    active: () => `${prefix}:rm:${name}:active`,
    /** Hash: retired build → when its keys may be deleted (server ms). */
    retired: () => `${prefix}:rm:${name}:retired`,
    /** Counter: the rebuild generation requested for a version (see `requestRebuild`). */
    generation: (version: number) => `${prefix}:rm:${name}:generation:v${version}`,
    /** Pattern matching every key of a build (for cleanup with SCAN); refuses a non-build id. */
    buildPattern: (build: string) => {
      // Issue 8: a build id read from Redis (the retired hash can be edited by hand) must never
      // widen the pattern: "*" would match every build, the active one included.
      if (!isBuildId(build)) {
        throw new InvalidArgumentError(
          "build",
          `${JSON.stringify(build)} is not a build id ("v<version>" or "v<version>.<generation>").`,
        );
      }
      return `${tag(build)}:*`;
    },
    /** The consumer group of a build on every partition log it reads. */
    group: (build: string) => `rm:${name}:${build}`,
  };
}

/**
 * The key builders of one projection; see {@link projectionKeys}.
 *
 * @example
 * const keys: ProjectionKeys = projectionKeys("shop", "balances");
 */
export type ProjectionKeys = ReturnType<typeof projectionKeys>;

/**
 * The SCAN pattern of every projection's active-build key under a prefix
 * (`<prefix>:rm:*:active`), for finding projections without their code. Refuses a prefix that is
 * not a key prefix, so the pattern can never widen beyond it.
 *
 * @example
 * activeBuildKeyPattern("shop"); // "shop:rm:*:active"
 */
export function activeBuildKeyPattern(prefix: string): string {
  assertKeyPrefix(prefix);
  return `${prefix}:rm:*:active`;
}

const BUILD_ID = /^v[0-9]{1,15}(\.[0-9]{1,15})?$/;

/**
 * Whether a string is a build id as {@link buildId} makes them (no glob characters, ever).
 *
 * @example
 * isBuildId("v2.1"); // true
 */
export function isBuildId(build: string): boolean {
  return BUILD_ID.test(build);
}

/**
 * The build id of a projection version: `v<version>`, or `v<version>.<generation>` for a rebuild of
 * the same version.
 *
 * @example
 * buildId(2); // "v2"
 */
export function buildId(version: number, generation = 0): string {
  return generation === 0 ? `v${version}` : `v${version}.${generation}`;
}

/**
 * The version and generation of a build id, the inverse of {@link buildId} (`[0, 0]` for a string
 * that is not one).
 *
 * @example
 * buildOrder("v2.1"); // [2, 1]
 */
export function buildOrder(build: string): [number, number] {
  const match = /^v(\d+)(?:\.(\d+))?$/.exec(build);
  return [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)];
}

/**
 * Orders build ids oldest first: by version, then by rebuild generation (negative when `left` is
 * older, positive when it is newer).
 *
 * @example
 * ["v2", "v1.1", "v1"].sort(compareBuilds); // ["v1", "v1.1", "v2"]
 */
export function compareBuilds(left: string, right: string): number {
  const [leftVersion, leftGeneration] = buildOrder(left);
  const [rightVersion, rightGeneration] = buildOrder(right);
  return leftVersion - rightVersion || leftGeneration - rightGeneration;
}

/**
 * The field of a source partition in the checkpoint, lease, state and attempt keys.
 *
 * @example
 * partitionField("cart", 0); // "cart:0"
 */
export function partitionField(category: string, partition: number): string {
  return `${category}:${partition}`;
}
