import { join } from "node:path";
import {
  createTestCertificates,
  startTlsRedisServer,
  type TlsRedisServerHandle,
} from "@streamstore/testing";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineEvents, getRedisEventStore, silentLogger } from "../src/index.js";

// Issue 8, security: TLS. A CA and a server certificate made with openssl, a private
// redis-server listening on TLS only (--port 0; startTlsRedisServer of @streamstore/testing), a
// client that verifies the server certificate against the CA (rediss:// with tls.ca) runs
// appends and reads; a client trusting another CA, and a plaintext client, get nothing. No skip:
// CI installs openssl (.ci/run), and a redis-server built without TLS fails this test with its
// own message.

const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });

let server: TlsRedisServerHandle | undefined;
let port: number;
let ca: string;
let otherCa: string;

beforeAll(async () => {
  server = await startTlsRedisServer();
  ({ port, ca } = server);
  // A CA that did not sign the server's certificate: what a misconfigured client would trust.
  const other = await createTestCertificates(join(server.dir, "other-ca"), {
    caName: "some other CA",
  });
  otherCa = other.ca;
});

afterAll(async () => {
  await server?.stop();
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
