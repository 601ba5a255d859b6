import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { UnprotectedDashboardError } from "./dashboardErrors.js";
import { checkTokenShape } from "./dashboardToken.js";

/**
 * Whether `address` (an IP address) is a loopback one: `127.0.0.0/8`, `::1`, or an IPv4-mapped
 * `::ffff:127.x.y.z`.
 *
 * @example
 * isLoopbackAddress("127.0.0.1"); // true
 * isLoopbackAddress("0.0.0.0"); // false: every interface
 */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) !== 6) return false;
  if (/^::ffff:127\.\d+\.\d+\.\d+$/.test(bare)) return true;
  // Every spelling of ::1 (0:0:0:0:0:0:0:1, ::0:1, ...): the URL parser compresses it.
  return new URL(`http://[${bare}]/`).hostname === "[::1]";
}

/**
 * Whether listening on `host` listens on loopback only: an address is checked as is, `localhost`
 * is loopback, any other name is loopback only when every address it resolves to is.
 *
 * @example
 * await isLoopbackHost("localhost"); // true
 */
export async function isLoopbackHost(
  host: string,
  resolve: (name: string) => Promise<string[]> = async (name) =>
    (await lookup(name, { all: true })).map((entry) => entry.address),
): Promise<boolean> {
  if (isIP(host.replace(/^\[|\]$/g, "")) !== 0) return isLoopbackAddress(host);
  if (host.toLowerCase() === "localhost") return true;
  const addresses = await resolve(host).catch(() => []);
  return addresses.length > 0 && addresses.every(isLoopbackAddress);
}

/**
 * The dashboard's exposure options.
 *
 * @example
 * const options: ExposureOptions = { host: "0.0.0.0", token: process.env.STREAMSTORE_DASHBOARD_TOKEN };
 */
export interface ExposureOptions {
  host: string;
  /** The token every request must carry; undefined: none. */
  token?: string | undefined;
  /** Listen on a non-loopback interface without a token (an authenticating proxy in front). */
  insecureNoToken?: boolean | undefined;
}

/**
 * Checks the exposure options before anything is opened: a token of a usable shape, and no
 * listening beyond loopback without a token ({@link UnprotectedDashboardError}, exit code 2)
 * unless `insecureNoToken`. Resolves whether the interface is loopback and the warnings to print:
 * none on loopback; beyond it, that the traffic is plain HTTP (or, without a token, open to all).
 *
 * @example
 * const { warnings } = await checkExposure({ host: "0.0.0.0", token });
 * for (const warning of warnings) output.note(warning);
 */
export async function checkExposure(
  options: ExposureOptions,
): Promise<{ loopback: boolean; warnings: string[] }> {
  if (options.token !== undefined) checkTokenShape(options.token);
  const loopback = await isLoopbackHost(options.host);
  if (loopback) return { loopback, warnings: [] };
  if (options.token === undefined && !options.insecureNoToken) {
    throw new UnprotectedDashboardError(options.host);
  }
  return { loopback, warnings: [exposureWarning(options.host, options.token !== undefined)] };
}

/**
 * The warning printed when the dashboard listens beyond loopback.
 *
 * @example
 * exposureWarning("0.0.0.0", true);
 */
export function exposureWarning(host: string, withToken: boolean): string {
  return withToken
    ? `Warning: the dashboard listens on ${host}, beyond loopback, over plain HTTP: the token and every page travel unencrypted. Put it behind a TLS reverse proxy, or keep it on 127.0.0.1 and use an SSH tunnel.`
    : `Warning: the dashboard listens on ${host}, beyond loopback, with no token (--insecure-no-token): anyone who reaches that address reads the page. Only do this behind a proxy that authenticates.`;
}
