// docs/security.md
import { readFileSync } from "node:fs";
import { aclRuleFor, getRedisEventStore } from "@streamstore/core";
import { Redis } from "ioredis";
import { events } from "./bank.js";

const admin = new Redis(process.env.REDIS_URL as string);
const host = "redis.internal";
const port = 6379;

// #region acl
await admin.call("ACL", "SETUSER", "shop", "on", ">s3cret", ...aclRuleFor("shop"));
const redis = new Redis({ host, port, username: "shop", password: "s3cret" });
const store = getRedisEventStore({ redis, events, prefix: "shop" });
// #endregion

// #region tls
const secure = new Redis("rediss://redis.internal:6380", {
  tls: { ca: readFileSync("/etc/redis/ca.crt"), servername: "redis.internal" },
});

// #endregion

export { secure, store };
