import { CliError, EXIT_CODES } from "../exitCodes.js";

/**
 * The `NOPERM` reply somewhere in `error` (or its `cause` chain: the toolkit wraps some Redis
 * errors), or undefined. Redis 7 words it `NOPERM this user has no permissions to run the
 * 'xread' command` for a command and `... to access one of the keys used as arguments` for a key.
 *
 * @example
 * const reply = findNoPermission(error); // "NOPERM this user has no permissions to run the 'xread' command"
 */
export function findNoPermission(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const match = /NOPERM[^\n]*/.exec(current.message);
    if (match) return match[0];
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turns a `NOPERM` reply into a {@link CliError} (exit code 1) that names what Redis refused and
 * points to the operator ACL rule (`aclRuleFor(prefix, { role: "operator" })`, printed by
 * `streamstore doctor`): the toolkit's runtime rule lacks the CLI's inspection commands (MEMORY
 * USAGE, CLUSTER NODES, ACL WHOAMI), so an operator using the application's user meets this first. Undefined
 * when `error` is no `NOPERM`.
 *
 * @example
 * const translated = noPermissionError(error, { prefix: "shop", user: "app" });
 * if (translated) throw translated;
 */
export function noPermissionError(
  error: unknown,
  where: { prefix: string | undefined; user: string | undefined },
): CliError | undefined {
  const reply = findNoPermission(error);
  if (reply === undefined) return undefined;
  const user = where.user ? `user "${where.user}"` : "this Redis user";
  const doctor = `streamstore doctor${where.prefix ? ` --prefix ${where.prefix}` : ""}`;
  const command = /run the '([^']+)' command/.exec(reply)?.[1];
  if (command !== undefined) {
    return new CliError(
      EXIT_CODES.failure,
      `[streamstore] Redis refused the command "${command.toUpperCase()}" to ${user} (${reply}). Connect as a user made from the operator ACL rule, which \`${doctor}\` prints (aclRuleFor(prefix, { role: "operator" }) in code): the application's rule lacks the CLI's inspection commands (MEMORY USAGE, CLUSTER NODES, ACL WHOAMI), and the "operator-readonly" rule every write (rebuild, dlq retry/discard).`,
    );
  }
  return new CliError(
    EXIT_CODES.failure,
    `[streamstore] Redis refused ${user} a key (${reply}). Check that --prefix is the prefix the user's ACL rule allows (~<prefix>:*), or connect as a user created with the operator rule for this prefix, which \`${doctor}\` prints.`,
  );
}
