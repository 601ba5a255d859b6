import { CliError, EXIT_CODES } from "../exitCodes.js";

/** Where the dashboard's exposure options are explained (a section of the CLI's README). */
const SEE = 'see "streamstore dashboard" in the @streamstore/cli README';

/**
 * The dashboard was asked to listen on an interface other than loopback without a token: anyone
 * who can reach that address could read the page. Exit code 2 (bad options); nothing was opened.
 *
 * @example
 * if (!loopback && !token) throw new UnprotectedDashboardError("0.0.0.0");
 */
export class UnprotectedDashboardError extends CliError {
  constructor(host: string) {
    super(
      EXIT_CODES.usage,
      `[streamstore] the dashboard will not listen on ${host} without a token: that address is not loopback and the page would be open to anyone who reaches it. Pass --token <secret> (or set STREAMSTORE_DASHBOARD_TOKEN; e.g. \`openssl rand -hex 32\`), keep --host 127.0.0.1 and use an SSH tunnel, or, behind your own authenticating proxy, pass --insecure-no-token (${SEE}).`,
    );
  }
}

/**
 * An option of the dashboard that cannot be used as given (a token too short, an
 * `--allowed-host` that is no host name). Exit code 2; nothing was opened.
 *
 * @example
 * throw new InvalidDashboardOptionError("--token must be at least 16 characters.");
 */
export class InvalidDashboardOptionError extends CliError {
  constructor(problem: string) {
    super(EXIT_CODES.usage, `[streamstore] ${problem} (${SEE})`);
  }
}
