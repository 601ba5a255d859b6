import type { Cluster, Redis } from "ioredis";
import { sendCommand } from "../runner/redisCommands.js";

/**
 * A connection of its own for blocking reads (a blocked XREADGROUP holds its connection), made
 * from the caller's client. On an ioredis `Cluster` it is a Cluster client too, so each read is
 * routed to the primary that owns its log's slot, and follows MOVED after a failover.
 *
 * @example
 * const blocking = duplicateForBlocking(redis, "ss-rm-accounts-worker1");
 */
export function duplicateForBlocking(redis: Redis | Cluster, connectionName: string): Redis {
  // A read queued while offline, or resent after a reconnect, could run after the reader lost
  // its right to read (a projection's lease): this connection never queues and never resends.
  const connectionOptions = {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectionName: connectionName.replace(/[^A-Za-z0-9_.:-]/g, "_"),
  };
  const cluster = redis as Cluster;
  const blocking = cluster.isCluster
    ? // Cluster.duplicate takes (startupNodes, options) and its per-node settings live in
      // redisOptions: passing the options first would silently drop them, and with them the
      // no-queue/no-resend guarantee above. The Cluster client itself connects at once; its
      // node connections stay lazy, as ioredis makes them: an eager node that is still
      // connecting when the client's ready check (CLUSTER INFO) picks it fails that check
      // ("Connection is closed."), and the client gives up (seen 1 start in 5 under load).
      (cluster.duplicate([], {
        lazyConnect: false,
        enableOfflineQueue: false,
        redisOptions: { ...cluster.options.redisOptions, ...connectionOptions, lazyConnect: true },
      }) as unknown as Redis)
    : // lazyConnect: a client made with it (connectRedis's are) would hand it down, and a lazy
      // connection without an offline queue never connects: the reader would never read.
      (redis as Redis).duplicate({ ...connectionOptions, lazyConnect: false });
  // Failures surface as rejected reads; the client's own error events would be unhandled.
  blocking.on?.("error", () => {});
  return blocking;
}

/**
 * Whether a connection made by {@link duplicateForBlocking} has ended for good (it will not
 * reconnect: make a new one). Its "end" event is the signal, not its status: an ioredis 6
 * Cluster client whose last node connections end goes on from "end" to "close" and stays there.
 *
 * @example
 * const ended = watchEnd(blocking);
 * if (ended()) blocking = duplicateForBlocking(redis, name);
 */
export function watchEnd(connection: Redis): () => boolean {
  let ended = false;
  const events = connection as Partial<Pick<Redis, "once">>;
  events.once?.call(connection, "end", () => {
    ended = true;
  });
  return () => ended || connection.status === "end";
}

/**
 * Sends a blocking XREADGROUP. ioredis drops (never settles) the in-flight commands of a
 * connection that closes when `autoResendUnfulfilledCommands` is false: the read is rejected on
 * "close" here instead, as ECONNRESET (a lost connection, reported as such, not as a bug).
 *
 * @example
 * await readBlocking(blocking, "GROUP", group, consumer, "BLOCK", 1000, "STREAMS", logKey, ">");
 */
export function readBlocking(connection: Redis, ...args: (string | number)[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onClose = () =>
      reject(
        Object.assign(new Error("the blocking connection closed during a read"), {
          code: "ECONNRESET",
        }),
      );
    const events = connection as Partial<Pick<Redis, "once" | "off">>;
    events.once?.call(connection, "close", onClose);
    sendCommand(connection, "xreadgroup", ...args)
      .then(resolve, reject)
      .finally(() => events.off?.call(connection, "close", onClose));
  });
}
