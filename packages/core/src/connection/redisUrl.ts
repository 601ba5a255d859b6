import { InvalidRedisUrlError } from "../errors/connectionErrors.js";

/**
 * A Redis URL taken apart by {@link parseRedisUrl}: where to connect, as whom, which database.
 *
 * @example
 * const target: RedisTarget = parseRedisUrl("rediss://app:s3cret@cache.internal:6380/2");
 * target.display; // "rediss://app:***@cache.internal:6380/2"
 */
export interface RedisTarget {
  /** `tcp` (redis://), `tls` (rediss://) or `socket` (unix://, redis+unix://, or a bare path). */
  transport: "tcp" | "tls" | "socket";
  /** Host name or address (IPv6 without brackets); undefined for a socket. */
  host?: string;
  /** Port (1-65535); undefined for a socket. */
  port?: number;
  /** Path of the Unix socket; undefined for TCP. */
  path?: string;
  /** Database number (SELECT). */
  db: number;
  /** ACL user; undefined for the default user. */
  username?: string;
  /** Password; undefined when none is given. Never printed: use `display`. */
  password?: string;
  /** The URL in its canonical form with the password masked (`***`): for logs and messages. */
  display: string;
}

const DEFAULT_PORT = 6379;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const SOCKET_SCHEMES = new Set(["unix", "redis+unix"]);

/**
 * `url` with its password replaced by `***`, for any message or log line that quotes a Redis URL.
 * Never throws, also for text that is no URL at all (`user:pass@host:6379` without a scheme).
 *
 * @example
 * maskRedisUrl("redis://app:s3cret@cache:6379/0"); // "redis://app:***@cache:6379/0"
 * maskRedisUrl("app:s3cret@cache:6379"); // "app:***@cache:6379"
 */
export function maskRedisUrl(url: string): string {
  const text = String(url);
  const start = SCHEME.exec(text)?.[0].length ?? 0;
  // The last "@" ends the user info: a password may hold "@", host names never do.
  const at = text.lastIndexOf("@");
  let masked = text;
  if (at >= start) {
    const colon = text.indexOf(":", start);
    if (colon !== -1 && colon < at) masked = `${text.slice(0, colon + 1)}***${text.slice(at)}`;
  }
  return masked.replace(/([?&](?:password|pass|pwd)=)[^&#]*/gi, "$1***");
}

function decode(part: string, masked: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidRedisUrlError(masked, `has a badly percent-encoded ${what}`);
  }
}

function parseDb(text: string, masked: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(text)) {
    throw new InvalidRedisUrlError(
      masked,
      `names database ${JSON.stringify(text)}: the database is a number >= 0 (/0 when left out)`,
    );
  }
  return Number(text);
}

function parsePort(text: string, masked: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new InvalidRedisUrlError(
      masked,
      `has port ${JSON.stringify(text)}: a port is a number from 1 to 65535 (6379 when left out)`,
    );
  }
  return port;
}

/** Splits `[user[:password]@]rest`; the last "@" ends the user info. */
function splitUserInfo(
  text: string,
  masked: string,
): { username?: string; password?: string; rest: string } {
  const at = text.lastIndexOf("@");
  if (at === -1) return { rest: text };
  const userInfo = text.slice(0, at);
  const colon = userInfo.indexOf(":");
  const user = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), masked, "user name");
  const password = colon === -1 ? "" : decode(userInfo.slice(colon + 1), masked, "password");
  return {
    ...(user === "" ? {} : { username: user }),
    ...(password === "" ? {} : { password }),
    rest: text.slice(at + 1),
  };
}

/** The only query parameter read: `db` (for socket URLs, which have no path segment for it). */
function queryDb(query: string | undefined, masked: string): number | undefined {
  if (query === undefined || query === "") return undefined;
  let db: number | undefined;
  for (const pair of query.split("&")) {
    const [name = "", value = ""] = pair.split("=", 2);
    if (name !== "db") {
      throw new InvalidRedisUrlError(
        masked,
        `has the query parameter ${JSON.stringify(name)}, which is not read (only db is): pass client options in code (connectRedis's redisOptions) instead`,
      );
    }
    db = parseDb(value, masked);
  }
  return db;
}

function userPart(target: Pick<RedisTarget, "username" | "password">): string {
  const user = target.username === undefined ? "" : encodeURIComponent(target.username);
  if (target.password !== undefined) return `${user}:***@`;
  return user === "" ? "" : `${user}@`;
}

function socketTarget(rest: string, masked: string): RedisTarget {
  const { username, password, rest: location } = splitUserInfo(rest, masked);
  const [pathWithHost = "", query] = location.split("?", 2) as [string, string | undefined];
  // unix://localhost/path is the same socket as unix:///path.
  const path = pathWithHost.startsWith("localhost/") ? pathWithHost.slice(9) : pathWithHost;
  if (!path.startsWith("/") || path.length < 2) {
    throw new InvalidRedisUrlError(
      masked,
      "names no socket path: write the absolute path after the scheme (unix:///var/run/redis.sock)",
    );
  }
  const db = queryDb(query, masked) ?? 0;
  const target = {
    transport: "socket" as const,
    path: decode(path, masked, "socket path"),
    db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  return {
    ...target,
    display: `unix://${userPart(target)}${path}${db === 0 ? "" : `?db=${db}`}`,
  };
}

function tcpTarget(scheme: "redis" | "rediss", rest: string, masked: string): RedisTarget {
  const { username, password, rest: location } = splitUserInfo(rest, masked);
  const authorityEnd = location.search(/[/?#]/);
  const authority = authorityEnd === -1 ? location : location.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? "" : location.slice(authorityEnd);
  const hostMatch = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]*)(?::(.*))?$/.exec(authority);
  if (!hostMatch) {
    throw new InvalidRedisUrlError(
      masked,
      "has a host that is no host name or address (letters, digits, '.', '-', or [IPv6])",
    );
  }
  const hostText = hostMatch[1] ?? "";
  if (hostText === "") {
    throw new InvalidRedisUrlError(masked, "names no host (write 127.0.0.1 for this machine)");
  }
  const port = hostMatch[2] === undefined ? DEFAULT_PORT : parsePort(hostMatch[2], masked);
  if (tail.includes("#")) {
    throw new InvalidRedisUrlError(
      masked,
      "has a '#' fragment (percent-encode a '#' in a password as %23)",
    );
  }
  const [pathPart = "", query] = tail.split("?", 2) as [string, string | undefined];
  const pathDb =
    pathPart === "" || pathPart === "/" ? undefined : parseDb(pathPart.slice(1), masked);
  const fromQuery = queryDb(query, masked);
  if (pathDb !== undefined && fromQuery !== undefined && pathDb !== fromQuery) {
    throw new InvalidRedisUrlError(masked, "names two different databases (path and ?db=)");
  }
  const db = pathDb ?? fromQuery ?? 0;
  const target = {
    transport: scheme === "rediss" ? ("tls" as const) : ("tcp" as const),
    host: hostText.replace(/^\[|\]$/g, ""),
    port,
    db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  return { ...target, display: `${scheme}://${userPart(target)}${hostText}:${port}/${db}` };
}

/**
 * Parses a Redis URL without connecting: `redis://` and `rediss://` (TLS) with
 * `[user:password@]host[:port][/db]`, and a Unix socket as `unix:///path/to/redis.sock[?db=N]`
 * (also `redis+unix://` or a bare absolute path). Anything else (another scheme, no scheme, a
 * port outside 1-65535, a database that is no number) throws {@link InvalidRedisUrlError}, whose
 * message masks the password and shows what a valid URL looks like. Surrounding spaces are
 * ignored.
 *
 * @example
 * parseRedisUrl("redis://:s3cret@127.0.0.1:6380/1"); // { transport: "tcp", host: "127.0.0.1", port: 6380, db: 1, password: "s3cret", display: "redis://:***@127.0.0.1:6380/1" }
 */
export function parseRedisUrl(url: string): RedisTarget {
  const text = typeof url === "string" ? url.trim() : "";
  const masked = maskRedisUrl(text);
  if (text === "") throw new InvalidRedisUrlError(masked, "is empty");
  if (text.startsWith("/")) return socketTarget(text, masked);
  const scheme = SCHEME.exec(text)?.[1];
  if (scheme === undefined) {
    throw new InvalidRedisUrlError(
      masked,
      /^[A-Za-z][A-Za-z0-9+.-]*:\/(?!\/)/.test(text)
        ? "has one '/' after its scheme where two belong (redis://host)"
        : `has no scheme: write redis://${masked} (or rediss:// for TLS)`,
    );
  }
  const rest = text.slice(scheme.length + 3);
  const lower = scheme.toLowerCase();
  if (lower === "redis" || lower === "rediss") return tcpTarget(lower, rest, masked);
  if (SOCKET_SCHEMES.has(lower)) return socketTarget(rest, masked);
  throw new InvalidRedisUrlError(
    masked,
    `has the scheme ${lower}://, which is not Redis's: use redis:// (or rediss:// for TLS)`,
  );
}
