// Errors of the socket, of postgres.js's connection handling, and PostgreSQL's own classes for a
// connection that failed or was refused (08: connection exception, 28: authorization, 3D000: no
// such database, 53300: too many connections, 57P01-57P03: shutting down or starting up).
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "QUEUE_TIMEOUT",
  "TLS_HANDSHAKE_FAILED",
  "SSL_NOT_SUPPORTED",
]);

/**
 * Why `error` means the archive's PostgreSQL cannot be used right now (one short phrase), or
 * undefined when it is another kind of error (a bug, a refused statement).
 *
 * @example
 * unavailableReason(error); // "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432"
 */
export function unavailableReason(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string") return undefined;
  const known =
    NETWORK_CODES.has(code) ||
    code.startsWith("08") ||
    code.startsWith("28") ||
    code === "3D000" ||
    code === "53300" ||
    /^57P0[1-3]$/.test(code);
  return known ? `${code}: ${String(message)}` : undefined;
}
