/**
 * The exit codes of the `streamstore` binary (documented in docs/operations.md and in `--help`).
 * Scripts and health checks branch on them, so they never change meaning.
 *
 * @example
 * process.exitCode = EXIT_CODES.dataAtRisk;
 */
export const EXIT_CODES = {
  /** Done; for `doctor`: nothing found that could lose data. */
  ok: 0,
  /** The command failed (the message says why and what to do). */
  failure: 1,
  /** Bad arguments or options (the message says which). */
  usage: 2,
  /**
   * `doctor`: a setting can lose events, or the archive given cannot be used;
   * `projections status --check`: unhealthy.
   */
  dataAtRisk: 3,
  /** The stream, projection, reactor or dead letter named does not exist. */
  notFound: 4,
  /** Redis could not be reached. */
  unreachable: 5,
  /** Redis refused the credentials (WRONGPASS, NOAUTH): fix the user or password of the URL. */
  redisAuth: 6,
  /**
   * Interrupted by Ctrl-C (SIGINT); a rebuild resumes where it stopped when run again, and
   * `archive run` stopped cleanly (its leases released).
   */
  interrupted: 130,
} as const;

/**
 * One of {@link EXIT_CODES}.
 *
 * @example
 * const code: ExitCode = EXIT_CODES.ok;
 */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * An error that ends the command with a given exit code and a `[streamstore]` message on stderr.
 *
 * @example
 * throw new CliError(EXIT_CODES.notFound, `[streamstore] no stream "${name}". Run \`streamstore streams\` to list them.`);
 */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The exit-code table printed at the end of `streamstore --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    done (doctor: nothing found that could lose data)
  1    the command failed
  2    bad arguments or options
  3    doctor: a setting can lose events, or the archive cannot be used; projections status --check: unhealthy
  4    the stream, projection, reactor or dead letter does not exist
  5    Redis could not be reached
  6    Redis refused the credentials (wrong or missing password, unknown or disabled user)
  130  interrupted by Ctrl-C (a rebuild resumes when run again; archive run released its leases)`;
