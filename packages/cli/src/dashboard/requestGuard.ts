import { isIP } from "node:net";
import { InvalidDashboardOptionError } from "./dashboardErrors.js";

/**
 * A host the dashboard answers to: a canonical host name (lower case, IPv6 in brackets) and a
 * port, or no port for any port.
 *
 * @example
 * const local: AllowedHost = { name: "localhost", port: 4800 };
 */
export interface AllowedHost {
  name: string;
  port?: number;
}

/** `name` or `name:port`, IPv6 in brackets: `[::1]:4800`. Characters that end a URL's host part are refused. */
const HOST_SYNTAX = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/?#@\\\s%]+)(?::(\d{1,5}))?$/;

/** The host part of `text` (a Host header, or an `--allowed-host`), canonical, or undefined when it is none. */
export function parseHost(text: string): AllowedHost | undefined {
  const match = HOST_SYNTAX.exec(text.trim());
  if (!match) return undefined;
  const [, raw = "", portText] = match;
  let name: string;
  try {
    // The URL parser canonicalises like a browser does: lower case, punycode, IPv6 compressed.
    name = new URL(`http://${raw}/`).hostname;
  } catch {
    return undefined;
  }
  if (portText === undefined) return { name };
  const port = Number(portText);
  return port >= 1 && port <= 65535 ? { name, port } : undefined;
}

/**
 * `--allowed-host` values as {@link AllowedHost}s; an invalid one is an
 * {@link InvalidDashboardOptionError}.
 *
 * @example
 * parseAllowedHosts(["dash.internal", "10.0.0.5:4800"]);
 */
export function parseAllowedHosts(values: readonly string[]): AllowedHost[] {
  return values.map((value) => {
    const host = parseHost(value);
    if (!host) {
      throw new InvalidDashboardOptionError(
        `--allowed-host ${JSON.stringify(value)} is not a host: give a name or address, with :port to allow one port only (IPv6 in brackets: [::1]:4800)`,
      );
    }
    return host;
  });
}

/** The URL host form of an address: IPv6 in brackets. */
function hostOfAddress(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

/**
 * The hosts a dashboard listening on `boundHost:port` answers to: `localhost`, `127.0.0.1` and
 * `[::1]` on that port; the bound address itself when it is an address (and, for the wildcards
 * `0.0.0.0` and `::`, the machine's interface addresses, which are the addresses it answers on);
 * then `extra` (`--allowed-host`). A browser names the host of its URL in `Host`, so a page of
 * another site whose name was pointed at 127.0.0.1 (DNS rebinding) names its own and is refused.
 *
 * @example
 * allowedHostsFor({ boundHost: "127.0.0.1", port: 4800, extra: [], interfaceAddresses: [] });
 */
export function allowedHostsFor(options: {
  boundHost: string;
  port: number;
  extra: readonly AllowedHost[];
  /** The machine's interface addresses (`os.networkInterfaces()`), used for a wildcard bind. */
  interfaceAddresses: readonly string[];
}): AllowedHost[] {
  const { port } = options;
  const addresses = ["localhost", "127.0.0.1", "[::1]"];
  if (isIP(options.boundHost) !== 0) {
    addresses.push(hostOfAddress(options.boundHost));
    const wildcard = options.boundHost === "0.0.0.0" || options.boundHost === "::";
    if (wildcard) {
      for (const address of options.interfaceAddresses) {
        if (options.boundHost === "0.0.0.0" && isIP(address) !== 4) continue;
        addresses.push(hostOfAddress(address));
      }
    }
  }
  const hosts = addresses.flatMap((address) => {
    const host = parseHost(address);
    return host ? [{ name: host.name, port }] : [];
  });
  return [...hosts, ...options.extra];
}

function isAllowed(allowed: readonly AllowedHost[], name: string, port: number): boolean {
  return allowed.some(
    (host) => host.name === name && (host.port === undefined || host.port === port),
  );
}

/**
 * What a request's headers say about where it comes from, for {@link guardRequest}.
 *
 * @example
 * const headers: GuardedHeaders = { host: "127.0.0.1:4800" };
 */
export interface GuardedHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  [name: string]: string | string[] | undefined;
}

/**
 * Whether a request may be answered, and if not the status and a short plain-text reason.
 *
 * @example
 * const verdict: GuardVerdict = { ok: false, status: 421, reason: "[streamstore] ..." };
 */
export type GuardVerdict = { ok: true } | { ok: false; status: 403 | 421; reason: string };

/** Another site's value, quoted for a message: short, and JSON-escaped. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/**
 * Decides whether a request may be answered, before anything else is read from it:
 *
 * - `Host` must be one of `allowed` (421 otherwise): defeats DNS rebinding.
 * - `Origin`, when sent, must be `http(s)://` one of `allowed` (403 otherwise): a script of another
 *   site asking with CORS (an `EventSource`, a `fetch`) is refused before it takes a stream slot.
 * - `Sec-Fetch-Site: cross-site` or `same-site` (another port of localhost is "same-site") is
 *   refused (403) unless it is a top-level navigation (a link followed to the page): it stops
 *   `<img>`/`<script>` requests, which carry no `Origin`, from holding event streams open.
 *
 * Requests without `Origin` or `Sec-Fetch-*` (curl, scripts, the page's own requests) pass.
 *
 * @example
 * const verdict = guardRequest(request.headers, "GET", allowed, "http://127.0.0.1:4800/");
 * if (!verdict.ok) refuse(response, verdict.status, verdict.reason);
 */
export function guardRequest(
  headers: GuardedHeaders,
  method: string,
  allowed: readonly AllowedHost[],
  url: string,
): GuardVerdict {
  const host = headers.host === undefined ? undefined : parseHost(headers.host);
  if (!host || !isAllowed(allowed, host.name, host.port ?? 80)) {
    const named = headers.host === undefined ? "no Host" : `the Host ${quoted(headers.host)}`;
    return {
      ok: false,
      status: 421,
      reason: `[streamstore] this dashboard does not answer to ${named} (a guard against DNS rebinding). Open it as ${url}, or start it with --allowed-host <name[:port]> for the name you use.`,
    };
  }
  const origin = headers.origin;
  if (origin !== undefined && !originAllowed(allowed, origin)) {
    return {
      ok: false,
      status: 403,
      reason: `[streamstore] this dashboard refuses requests made by the pages of other sites (Origin ${quoted(origin)}). Open it as ${url}; a name of yours needs --allowed-host <name[:port]>.`,
    };
  }
  const site = headers["sec-fetch-site"];
  const navigation =
    headers["sec-fetch-mode"] === "navigate" &&
    headers["sec-fetch-dest"] === "document" &&
    (method === "GET" || method === "HEAD");
  if ((site === "cross-site" || site === "same-site") && !navigation) {
    return {
      ok: false,
      status: 403,
      reason: `[streamstore] this dashboard refuses requests made by the pages of other sites (Sec-Fetch-Site: ${site}). Open it as ${url}.`,
    };
  }
  return { ok: true };
}

function originAllowed(allowed: readonly AllowedHost[], origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed frame, a file://) and anything malformed
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  // A browser sends the canonical form; anything else did not come from one.
  if (url.origin !== origin) return false;
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  return isAllowed(allowed, url.hostname, port);
}
