import { randomBytes } from "node:crypto";
import {
  aclRuleFor,
  coreFunctionLibrary,
  dataSubject,
  defineEvents,
  getRedisEventStore,
  installFunctionLibraries,
  personal,
  silentLogger,
} from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

// Issue 16 under a least-privilege ACL user (aclRuleFor): the key store's commands (GET, SET NX,
// SET, XADD) are among the runtime's, so personal data needs no new rule.

const events = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()),
    email: personal(z.string()),
  }),
});
const USER = "streamstore-pd";
const PASSWORD = randomBytes(12).toString("hex");
let server: RedisServerHandle;
let admin: Redis;
let tenant: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
  await admin.call("ACL", "SETUSER", USER, "on", `>${PASSWORD}`, ...aclRuleFor("tenant"));
  // The operator step: the tenant may call the toolkit's functions, not load them
  await installFunctionLibraries(admin, [coreFunctionLibrary]);
  tenant = new Redis({ port: server.port, host: "127.0.0.1", username: USER, password: PASSWORD });
});

afterAll(async () => {
  tenant?.disconnect();
  admin?.disconnect();
  await server?.stop();
});

describe("getRedisEventStore with personal data as an ACL user", () => {
  it("creates keys, encrypts, reads and forgets with only the runtime role's commands", async () => {
    // Given a store of the tenant's prefix, connected as its ACL user
    const store = getRedisEventStore({
      redis: tenant,
      events,
      prefix: "tenant",
      logger: silentLogger,
    });
    // When a customer is registered, read, forgotten and read again
    await store.append("customer-c-1", [
      { type: "CustomerRegistered", data: { customerId: "c-1", email: "ada@example.com" } },
    ]);
    const before = [];
    for await (const event of store.read("customer-c-1")) before.push(event.data);
    await store.forgetSubject("c-1");
    const after = [];
    for await (const event of store.read("customer-c-1")) after.push(event.data);
    // Then every step was allowed, and the reads are as expected
    expect(before).toEqual([{ customerId: "c-1", email: "ada@example.com" }]);
    expect(after).toEqual([{ customerId: "c-1", email: { forgotten: true } }]);
    expect(await admin.xlen("tenant:pd:audit")).toBe(1);
  });
});
