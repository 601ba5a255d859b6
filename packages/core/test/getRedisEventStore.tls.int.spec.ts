import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getFreePort } from "@streamstore/testing";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineEvents, getRedisEventStore, silentLogger } from "../src/index.js";

// Issue 8, security: TLS. A CA and a server certificate made here with openssl, a private
// redis-server listening on TLS only (--port 0), a client that verifies the server certificate
// against the CA (rediss:// with tls.ca) runs appends and reads; a client trusting another CA,
// and a plaintext client, get nothing. No skip: CI installs openssl (.ci/run), and a redis-server
// built without TLS fails this test with its own message.

const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });

let dir: string;
let server: ChildProcess | undefined;
let port: number;
let ca: Buffer;
let otherCa: Buffer;

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

async function makeCertificates(): Promise<void> {
  const subject = (name: string) => ["-subj", `/CN=${name}`];
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    ...subject("streamstore test CA"),
  );
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "other.key",
    "-out",
    "other.crt",
    "-days",
    "2",
    ...subject("some other CA"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    ...subject("localhost"),
  );
  await writeFile(join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  ca = await readFile(join(dir, "ca.crt"));
  otherCa = await readFile(join(dir, "other.crt"));
}

async function startTlsServer(): Promise<void> {
  port = await getFreePort();
  let output = "";
  const child = spawn(
    "redis-server",
    [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--tls-cert-file",
      join(dir, "server.crt"),
      "--tls-key-file",
      join(dir, "server.key"),
      "--tls-ca-cert-file",
      join(dir, "ca.crt"),
      "--tls-auth-clients",
      "no",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server = child;
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (/Ready to accept connections/.test(output)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `[streamstore] redis-server did not start with TLS (was it built with BUILD_TLS=yes?). Its output:\n${output}`,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "streamstore-tls-"));
  await makeCertificates();
  await startTlsServer();
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

const noRetry: RedisOptions = {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  retryStrategy: () => null,
  connectTimeout: 3000,
};

describe("getRedisEventStore", () => {
  it("appends and reads over TLS with the server certificate verified against its CA", async () => {
    // Given a client that trusts only the test CA and checks the server's name
    const redis = new Redis(`rediss://127.0.0.1:${port}`, { tls: { ca, servername: "localhost" } });
    try {
      const store = getRedisEventStore({ redis, events, prefix: "tls", logger: silentLogger });
      // When it appends and reads
      await store.append("account-1", [{ type: "Deposited", data: { amount: 5 } }], {
        expectedVersion: "no_stream",
      });
      await store.append("account-1", [{ type: "Deposited", data: { amount: 7 } }], {
        expectedVersion: 1,
      });
      const read: number[] = [];
      for await (const event of store.read("account-1")) read.push(event.data.amount);
      // Then everything went through the verified TLS connection
      expect(read).toEqual([5, 7]);
      expect(await store.version("account-1")).toBe(2);
      expect(await redis.call("CONFIG", "GET", "port")).toEqual(["port", "0"]);
      expect(await redis.call("CONFIG", "GET", "tls-port")).toEqual(["tls-port", String(port)]);
    } finally {
      redis.disconnect();
    }
  });

  it("gets nothing from the server when the client trusts another CA, or speaks plaintext", async () => {
    // Given a client trusting another CA, and one without TLS
    const wrongCa = new Redis(`rediss://127.0.0.1:${port}`, {
      ...noRetry,
      tls: { ca: otherCa, servername: "localhost" },
    });
    const plaintext = new Redis(`redis://127.0.0.1:${port}`, noRetry);
    const tlsErrors: string[] = [];
    wrongCa.on("error", (error: Error) => tlsErrors.push(error.message));
    plaintext.on("error", () => {});
    try {
      // When they connect and send a command
      const refusal = await wrongCa.connect().then(
        () => wrongCa.ping(),
        (error: unknown) => error,
      );
      const plain = await plaintext
        .connect()
        .then(() => plaintext.ping())
        .catch((error: unknown) => error);
      // Then the first refuses the server's certificate, and the second gets no reply
      expect(refusal).toBeInstanceOf(Error);
      expect(tlsErrors.join("\n")).toMatch(/certificate|self[- ]signed|verify/i);
      expect(plain).toBeInstanceOf(Error);
    } finally {
      wrongCa.disconnect();
      plaintext.disconnect();
    }
  });
});
