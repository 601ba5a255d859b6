// The server is tested with a collector of its own, so every byte it renders is known; the
// collector against Redis has its own test (collectSnapshot.redis.int.spec.ts).
import type { DashboardSnapshot } from "../../src/dashboard/collectSnapshot.js";
import {
  type DashboardServer,
  type DashboardServerOptions,
  startDashboardServer,
} from "../../src/dashboard/startDashboardServer.js";

/** A snapshot of one projection `name` at `at`, with `lag`. */
export function snapshotNamed(name: string, at: number, lag = 0): DashboardSnapshot {
  return {
    at,
    prefix: "shop",
    categories: [{ category: "cart", partitions: 1, entriesAdded: at / 10, length: at / 10 }],
    projections: [
      {
        name,
        build: "v1",
        activeBuild: "v1",
        state: "live",
        lag,
        applied: at / 10 - lag,
        pending: 0,
        workers: 1,
        deadLetters: 2,
        healthy: false,
        partitions: [],
      },
    ],
    groups: [
      { category: "cart", partition: 0, group: `rm:${name}:v1`, consumers: 1, pending: 0, lag: 0 },
    ],
  };
}

/** A collector of `name` samples 1 s apart; the second has lag 5. */
export function counter(name = "carts") {
  let at = 0;
  return async () => {
    at += 1000;
    return snapshotNamed(name, at, at === 2000 ? 5 : 0);
  };
}

/**
 * A server of {@link counter}'s "carts" samples titled "shop" on a free port; the Redis URL is
 * only shown, never dialled (the collector is the test's).
 */
export function startShopServer(
  options: Partial<DashboardServerOptions> = {},
): Promise<DashboardServer> {
  return startDashboardServer({
    collect: counter(),
    title: "shop",
    redis: "redis://127.0.0.1:1/",
    port: 0,
    ...options,
  });
}
