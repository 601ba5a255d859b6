import { assertKeyPrefix } from "@streamstore/core/internal";
import { projectionKeys } from "./projectionKeys.js";

/** The build id a reactor's dead letters are kept under (a projection's builds are `v<n>`). */
export const REACTOR_DEAD_LETTER_BUILD = "rx";

const REACTOR_GROUP = /^rx:([A-Za-z0-9_.-]{1,64})$/;

/**
 * The Redis keys of one reactor: its consumer group (the same name on every source partition
 * log), its attempt counters and its dead-letter stream. `startReactor` writes them and status,
 * discovery and the CLI read them, from this one definition.
 *
 * @example
 * const keys = reactorKeys("shop", "mailer");
 * keys.group; // "rx:mailer"
 * keys.deadLetters; // "shop:{rm:mailer:rx}:dlq"
 */
export function reactorKeys(prefix: string, name: string) {
  assertKeyPrefix(prefix);
  return {
    prefix,
    name,
    /** The consumer group on every source partition log. */
    group: `rx:${name}`,
    /** Hash: `<log key>:<entry id>` → handler attempts so far. */
    attempts: `${prefix}:{rx:${name}}:attempts`,
    /** The build id of the dead letters in the read-model store of the reactor's name. */
    deadLetterBuild: REACTOR_DEAD_LETTER_BUILD,
    /** Stream of dead letters (the read-model store's layout, under build `rx`). */
    deadLetters: projectionKeys(prefix, name).deadLetters(REACTOR_DEAD_LETTER_BUILD),
  };
}

/**
 * The key builders of one reactor; see {@link reactorKeys}.
 *
 * @example
 * const keys: ReactorKeys = reactorKeys("shop", "mailer");
 */
export type ReactorKeys = ReturnType<typeof reactorKeys>;

/**
 * The reactor a consumer group belongs to (`rx:<name>`), or undefined for any other group (a
 * projection's `rm:<name>:<build>`, a group written by hand).
 *
 * @example
 * reactorOfGroup("rx:mailer"); // "mailer"
 */
export function reactorOfGroup(group: string): string | undefined {
  return REACTOR_GROUP.exec(group)?.[1];
}
