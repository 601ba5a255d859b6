import { open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RedisClusterHandle,
  type StartRedisClusterOptions,
  startRedisCluster,
} from "@streamstore/testing";

const LOCK = join(tmpdir(), "streamstore-cluster-tests.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function acquire(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(LOCK, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(await readFile(LOCK, "utf8").catch(() => "0"));
      // A holder that died without stopping its cluster must not block every later run.
      if (owner > 0 && !alive(owner)) await rm(LOCK, { force: true });
      if (Date.now() > deadline)
        throw new Error(`[streamstore] another cluster test holds ${LOCK} (pid ${owner})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Starts a cluster once no other cluster test file (in any vitest worker or process on this
 * machine) has one running: the machine is small and shared, so cluster tests take turns.
 * Call it in a `beforeAll` with a generous timeout; `stop()` releases the turn.
 */
export async function startExclusiveCluster(
  options: StartRedisClusterOptions = {},
  waitMs = 240_000,
): Promise<RedisClusterHandle> {
  await acquire(waitMs);
  try {
    const cluster = await startRedisCluster(options);
    return {
      ...cluster,
      async stop() {
        try {
          await cluster.stop();
        } finally {
          await rm(LOCK, { force: true });
        }
      },
    };
  } catch (error) {
    await rm(LOCK, { force: true });
    throw error;
  }
}
