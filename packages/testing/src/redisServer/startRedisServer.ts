import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect as connectTcp, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTls } from "node:tls";

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** The `redis-server` binary to run. Default: `redis-server` from `PATH`. */
  binary?: string;
  /** A fixed port; default: a free loopback port picked by the OS. */
  port?: number;
  /**
   * Extra `redis-server` arguments, e.g. `["--appendonly", "yes"]`. The defaults keep nothing on
   * disk (`--save ""`, `--appendonly no`) and bind to 127.0.0.1 only.
   */
  args?: string[];
  /** A data directory to reuse (for restart tests); default: a new temporary one, removed on stop. */
  dir?: string;
  /** How long to wait for the server to answer PING, in ms. Default 10,000. */
  startTimeoutMs?: number;
  /**
   * Serve TLS only, with these files (e.g. from `createTestCertificates`): the port is a
   * `--tls-port`, the plaintext port is off (`--port 0`), clients need no certificate of their
   * own, and the handle's `url` is `rediss://`. The redis-server must be built with TLS.
   */
  tls?: RedisServerTlsFiles;
}

/** The certificate files of a TLS-only {@link startRedisServer}. */
export interface RedisServerTlsFiles {
  /** The CA certificate (PEM file) that signed `certFile`; also used to check the server is up. */
  caFile: string;
  /** The server certificate (PEM file), valid for `localhost` (the name the readiness PING checks). */
  certFile: string;
  /** Its private key (PEM file, unencrypted). */
  keyFile: string;
}

/** A `redis-server` process started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`, or `rediss://127.0.0.1:<port>` with the `tls` option. */
  url: string;
  port: number;
  /** The data directory of this server. */
  dir: string;
  /** The child process (for fault-injection tests: `process.kill("SIGKILL")`). */
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes a temporary data directory. */
  stop(): Promise<void>;
}

/**
 * Whether a `redis-server` binary can be run here.
 *
 * @example
 * if (!hasRedisServerBinary()) console.log("set REDIS_URL to run the integration tests");
 */
export function hasRedisServerBinary(binary = "redis-server"): boolean {
  const result = spawnSync(binary, ["--version"], { stdio: "ignore" });
  return result.status === 0;
}

/**
 * Asks the OS for a free TCP port on 127.0.0.1.
 *
 * @example
 * const port = await getFreePort();
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether the server on `port` answers PING (or NOAUTH, with `--requirepass`); over TLS, verified
 * against `ca`, when it is given.
 */
function pingOnce(port: number, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = "";
    const ping = () => socket.write("PING\r\n");
    const socket =
      ca === undefined
        ? connectTcp(port, "127.0.0.1", ping)
        : connectTls({ port, host: "127.0.0.1", ca, servername: "localhost" }, ping);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      // A server started with --requirepass answers NOAUTH: up, and asking for the password.
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG") || answer.startsWith("-NOAUTH"));
    });
  });
}

/**
 * Starts a private `redis-server` on a loopback port, for tests that must never touch a shared
 * database: nothing is flushed, the whole server is thrown away on `stop()`.
 *
 * @example
 * const server = await startRedisServer();
 * const redis = new Redis(server.url);
 * // ... test ...
 * await redis.quit();
 * await server.stop();
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServerHandle> {
  const binary = options.binary ?? "redis-server";
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "streamstore-redis-")));
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const tls = options.tls;
  // Read once: the readiness PING checks the server's certificate against it.
  const ca = tls && (await readFile(tls.caFile, "utf8"));
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await getFreePort());
    const child = spawn(
      binary,
      [
        ...(tls
          ? [
              "--port",
              "0",
              "--tls-port",
              String(port),
              "--tls-cert-file",
              tls.certFile,
              "--tls-key-file",
              tls.keyFile,
              "--tls-ca-cert-file",
              tls.caFile,
              "--tls-auth-clients",
              "no",
            ]
          : ["--port", String(port)]),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--protected-mode",
        "no",
        ...(options.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString();
    });
    let exited = false;
    const exitPromise = new Promise<void>((resolve) =>
      child.once("exit", () => {
        exited = true;
        resolve();
      }),
    );
    const deadline = Date.now() + startTimeoutMs;
    while (!exited && Date.now() < deadline) {
      if (await pingOnce(port, ca)) {
        return {
          url: `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
          port,
          dir,
          process: child,
          async stop() {
            if (!exited) {
              child.kill("SIGTERM");
              const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
              await exitPromise;
              clearTimeout(timer);
            }
            if (ownDir) await rm(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (!exited) child.kill("SIGKILL");
    await exitPromise;
    // A port picked by the OS can be taken between our probe and redis-server's bind: try again.
    if (options.port === undefined && attempt < 3 && /Address already in use/i.test(output))
      continue;
    if (ownDir) await rm(dir, { recursive: true, force: true });
    const hint = tls
      ? "was it built with TLS (BUILD_TLS=yes)? Debian's and Redis' own packages are"
      : "install redis-server (>= 7) or set REDIS_URL";
    throw new Error(
      `[streamstore] redis-server did not start on port ${port}: ${hint}. Its output:\n${output}`,
    );
  }
}
