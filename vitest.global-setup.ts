import type { TestProject } from "vitest/node";
import {
  hasRedisServerBinary,
  type RedisServerHandle,
  startRedisServer,
} from "./packages/testing/src/redisServer/startRedisServer.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Redis the integration tests use: a private server of this run, or REDIS_URL. */
    redisUrl: string;
  }
}

let server: RedisServerHandle | undefined;

/**
 * Starts one private redis-server per test project, on a free loopback port, so that no test ever
 * touches a database it did not create. Without the binary, REDIS_URL is used and every test keeps
 * to its own random key prefix and deletes only those keys.
 */
export async function setup(project: TestProject): Promise<void> {
  if (hasRedisServerBinary()) {
    server = await startRedisServer();
    project.provide("redisUrl", server.url);
    return;
  }
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      "[streamstore] the integration tests need Redis >= 7: put redis-server on PATH (apt-get install redis-server) or set REDIS_URL.",
    );
  }
  project.provide("redisUrl", url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
