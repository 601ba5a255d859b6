import { defineProject } from "vitest/config";

/**
 * `pnpm test:unit` sets `STREAMSTORE_TESTS=unit`: only the tests that need no server run (the
 * `*.unit.spec.ts` files: unit tests and the suites on the in-memory fake), and no global setup
 * starts one, so the loop runs without redis-server on PATH and without REDIS_URL. `pnpm test`
 * leaves it unset and runs everything.
 */
export const unitTestsOnly = process.env.STREAMSTORE_TESTS === "unit";

/** The files of a project that `pnpm test:unit` runs (in `pnpm test` too, with the rest). */
export const UNIT_TESTS = "test/**/*.unit.spec.ts";

/**
 * The settings every package's vitest project shares: tests import the workspace packages from
 * their TypeScript sources (the `@streamstore/source` export condition), so no build is needed
 * before `pnpm test`, and one private redis-server is started for the run by the global setup
 * (not for `pnpm test:unit`, see {@link unitTestsOnly}).
 */
export function streamstoreProject(name: string) {
  return defineProject({
    resolve: { conditions: ["@streamstore/source"] },
    ssr: { resolve: { conditions: ["@streamstore/source"] } },
    test: {
      name,
      include: [unitTestsOnly ? UNIT_TESTS : "test/**/*.spec.ts"],
      globalSetup: unitTestsOnly
        ? []
        : [new URL("./vitest.global-setup.ts", import.meta.url).pathname],
      // A unit file that asks for Redis fails on this name instead of finding a local server.
      provide: unitTestsOnly ? { redisUrl: "redis://unit-tests-have-no-redis.invalid:6379" } : {},
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  });
}
