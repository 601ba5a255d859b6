import type { Cluster, Redis } from "ioredis";
import { RedisAuthError, RedisUnavailableError } from "../errors/connectionErrors.js";
import { isStreamstoreError } from "../errors/StreamstoreError.js";
import { maskRedisUrl } from "./redisUrl.js";

/**
 * What kind of connection failure an ioredis error is: `auth` (WRONGPASS, NOAUTH: the
 * credentials), `unreachable` (refused, timed out, unknown host, connection lost, ioredis's
 * `MaxRetriesPerRequestError` and "Connection is closed."), or undefined for anything else (a
 * command's own error reply).
 *
 * @example
 * redisFailureKind(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), { code: "ECONNREFUSED" })); // "unreachable"
 */
export type RedisFailureKind = "auth" | "unreachable";

const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b|invalid username-password pair|invalid password/i;
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ENOENT",
  "EACCES",
  "ECONNCLOSED",
]);
const UNREACHABLE_MESSAGES = [
  /^Connection is closed\.?$/,
  /^Reached the max retries per request limit/,
  /^Stream isn't writeable and enableOfflineQueue options is false/,
  /^None of startup nodes is available/,
  /^Failed to refresh slots cache/,
  /^Cluster isn't ready and enableOfflineQueue options is false/,
  /^Command aborted due to connection close/,
  /^Socket timeout/,
  /^connect ETIMEDOUT/,
];

/** The error and the errors it wraps (cause, a Cluster's lastNodeError, an AggregateError's). */
function chainOf(error: unknown): Error[] {
  const found: Error[] = [];
  const visit = (current: unknown, depth: number) => {
    if (!(current instanceof Error) || depth > 4 || found.includes(current)) return;
    found.push(current);
    const wrapped = current as Error & { lastNodeError?: unknown; errors?: unknown };
    visit(wrapped.cause, depth + 1);
    visit(wrapped.lastNodeError, depth + 1);
    if (Array.isArray(wrapped.errors)) for (const inner of wrapped.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return found;
}

function kindOfOne(error: Error): RedisFailureKind | undefined {
  if (AUTH_REPLY.test(error.message)) return "auth";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return "unreachable";
  if (error.name === "MaxRetriesPerRequestError" || error.name === "ClusterAllFailedError")
    return "unreachable";
  if (UNREACHABLE_MESSAGES.some((pattern) => pattern.test(error.message))) return "unreachable";
  // TLS handshakes that fail (wrong CA, plaintext server) say so in their code.
  if (
    typeof code === "string" &&
    /^(ERR_SSL_|ERR_TLS_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|CERT_)/.test(code)
  )
    return "unreachable";
  return undefined;
}

/**
 * Classifies an error thrown or emitted by ioredis, see {@link RedisFailureKind}; an auth
 * refusal anywhere in the chain wins over the lost connection it caused.
 *
 * @example
 * if (redisFailureKind(error) === "auth") console.log("fix the password");
 */
export function redisFailureKind(error: unknown): RedisFailureKind | undefined {
  const kinds = chainOf(error).map(kindOfOne);
  if (kinds.includes("auth")) return "auth";
  return kinds.includes("unreachable") ? "unreachable" : undefined;
}

/**
 * The words of the most telling error in the chain (Redis's auth reply, the socket's
 * ECONNREFUSED), without a trailing period, secrets replaced by `***`.
 *
 * @example
 * redisFailureReason(error, ["s3cret"]); // "connect ECONNREFUSED 127.0.0.1:6390"
 */
export function redisFailureReason(error: unknown, secrets: readonly string[] = []): string {
  const chain = chainOf(error);
  const telling =
    chain.find((item) => kindOfOne(item) === "auth") ??
    chain.find((item) => typeof (item as { code?: unknown }).code === "string") ??
    chain[chain.length - 1];
  let text = (telling?.message ?? String(error)).trim().replace(/\.$/, "") || "no reason given";
  for (const secret of secrets) if (secret.length > 0) text = text.split(secret).join("***");
  return text;
}

// The masked URL a client was made from, by connectRedis (else it is rebuilt from its options).
const displayUrls = new WeakMap<object, string>();

/**
 * Records the masked URL `client` connects to (connectRedis does), for messages about it.
 *
 * @example
 * rememberRedisUrl(redis, "redis://:***@127.0.0.1:6379/0");
 */
export function rememberRedisUrl(client: object, display: string): void {
  displayUrls.set(client, display);
}

interface ClientOptionsLike {
  host?: string;
  port?: number;
  path?: string | null;
  db?: number;
  username?: string | null;
  password?: string | null;
  tls?: unknown;
}

function displayOfOptions(options: ClientOptionsLike): string {
  const user = options.username ? encodeURIComponent(options.username) : "";
  const auth = options.password ? `${user}:***@` : user ? `${user}@` : "";
  if (options.path) return `unix://${auth}${options.path}${options.db ? `?db=${options.db}` : ""}`;
  const host = options.host?.includes(":") ? `[${options.host}]` : (options.host ?? "localhost");
  return `${options.tls ? "rediss" : "redis"}://${auth}${host}:${options.port ?? 6379}/${options.db ?? 0}`;
}

/**
 * Where an ioredis client connects, as a URL with the password masked: the one connectRedis
 * was given, else rebuilt from the client's options (a Cluster: its first startup node).
 *
 * @example
 * describeRedisClient(new Redis("redis://:s3cret@cache:6379")); // "redis://:***@cache:6379/0"
 */
export function describeRedisClient(client: Redis | Cluster | object): string {
  const remembered = displayUrls.get(client);
  if (remembered !== undefined) return remembered;
  const cluster = client as {
    isCluster?: boolean;
    startupNodes?: unknown[];
    options?: { redisOptions?: ClientOptionsLike };
  };
  if (cluster.isCluster === true) {
    const first = cluster.startupNodes?.[0];
    const node =
      typeof first === "object" && first !== null
        ? (first as ClientOptionsLike)
        : typeof first === "string"
          ? { host: maskRedisUrl(first) }
          : {};
    return `${displayOfOptions({ ...cluster.options?.redisOptions, ...node, db: 0 })} (cluster)`;
  }
  const options = (client as { options?: ClientOptionsLike }).options;
  return options ? displayOfOptions(options) : "Redis";
}

/**
 * The typed error for a connection failure of `client` ({@link RedisAuthError} or
 * {@link RedisUnavailableError}, with the masked URL and the driver's error as `cause`), or
 * undefined when `error` is something else (then it is thrown as it is). Streamstore errors
 * are never wrapped again.
 *
 * @example
 * catch (error) { throw connectionFailure(error, redis) ?? error; }
 */
export function connectionFailure(
  error: unknown,
  client: Redis | Cluster | object,
): RedisAuthError | RedisUnavailableError | undefined {
  if (isStreamstoreError(error)) return undefined;
  const kind = redisFailureKind(error);
  if (kind === undefined) return undefined;
  const url = describeRedisClient(client);
  const password = (client as { options?: ClientOptionsLike }).options?.password;
  const reason = redisFailureReason(error, password ? [password] : []);
  return kind === "auth"
    ? new RedisAuthError(url, reason, { cause: error })
    : new RedisUnavailableError(url, reason, { cause: error });
}

/**
 * One line about a failure met by a long-running part (a runner, a reactor, the archiver): for a
 * connection failure, where Redis is (masked) and the driver's words; else the error's own text.
 * `kind` says whether it is one (the part then reports `reconnecting`).
 *
 * @example
 * const { kind, text } = describeRedisFailure(error, redis); // { kind: "unreachable", text: "Redis at redis://127.0.0.1:6379/0 is unavailable (connect ECONNREFUSED 127.0.0.1:6379)" }
 */
export function describeRedisFailure(
  error: unknown,
  client: Redis | Cluster | object,
): { kind: RedisFailureKind | undefined; text: string } {
  const typed = connectionFailure(error, client);
  if (typed instanceof RedisAuthError)
    return {
      kind: "auth",
      text: `Redis at ${typed.url} refused the credentials (${typed.reason})`,
    };
  if (typed instanceof RedisUnavailableError)
    return { kind: "unreachable", text: `Redis at ${typed.url} is unavailable (${typed.reason})` };
  if (isStreamstoreError(error, "REDIS_UNAVAILABLE") || isStreamstoreError(error, "REDIS_AUTH")) {
    const known = error as RedisAuthError | RedisUnavailableError;
    return {
      kind: error.code === "REDIS_AUTH" ? "auth" : "unreachable",
      text: `Redis at ${known.url} ${error.code === "REDIS_AUTH" ? "refused the credentials" : "is unavailable"} (${known.reason})`,
    };
  }
  return {
    kind: undefined,
    text: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}
