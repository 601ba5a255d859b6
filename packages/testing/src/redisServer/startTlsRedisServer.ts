import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCertificates } from "./createTestCertificates.js";
import {
  type RedisServerHandle,
  type StartRedisServerOptions,
  startRedisServer,
} from "./startRedisServer.js";

/** A TLS-only `redis-server` started by {@link startTlsRedisServer}. */
export interface TlsRedisServerHandle extends RedisServerHandle {
  /** `rediss://127.0.0.1:<port>`: the certificate is for `127.0.0.1` and `localhost`. */
  url: string;
  /** The test CA's certificate (PEM) that signed the server's: ioredis `tls: { ca }`. */
  ca: string;
  /** Path of that CA certificate, e.g. for `NODE_EXTRA_CA_CERTS` of a child process. */
  caFile: string;
}

/**
 * Starts a private `redis-server` that speaks TLS only (no plaintext port), with a throw-away CA
 * and server certificate made by `createTestCertificates` (needs `openssl` on PATH). Clients
 * verify the server against `ca`; the server asks no client certificate. `stop()` also removes
 * the certificates. The redis-server must be built with TLS (Debian's and Redis' packages are).
 *
 * @example
 * const server = await startTlsRedisServer();
 * const redis = new Redis(server.url, { tls: { ca: server.ca } });
 * // ... test ...
 * redis.disconnect();
 * await server.stop();
 */
export async function startTlsRedisServer(
  options: Omit<StartRedisServerOptions, "tls"> = {},
): Promise<TlsRedisServerHandle> {
  const certificatesDir = await mkdtemp(join(tmpdir(), "streamstore-tls-"));
  try {
    const certificates = await createTestCertificates(certificatesDir);
    const server = await startRedisServer({ ...options, tls: certificates });
    return {
      ...server,
      ca: certificates.ca,
      caFile: certificates.caFile,
      async stop() {
        await server.stop();
        await rm(certificatesDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(certificatesDir, { recursive: true, force: true });
    throw error;
  }
}
