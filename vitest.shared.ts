import { defineProject } from "vitest/config";

/**
 * The settings every package's vitest project shares: tests import the workspace packages from
 * their TypeScript sources (the `@streamstore/source` export condition), so no build is needed
 * before `pnpm test`, and one private redis-server is started for the run by the global setup.
 */
export function streamstoreProject(name: string) {
  return defineProject({
    resolve: { conditions: ["@streamstore/source"] },
    ssr: { resolve: { conditions: ["@streamstore/source"] } },
    test: {
      name,
      include: ["test/**/*.spec.ts"],
      globalSetup: [new URL("./vitest.global-setup.ts", import.meta.url).pathname],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  });
}
