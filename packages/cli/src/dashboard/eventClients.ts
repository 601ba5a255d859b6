import type { Logger } from "@streamstore/core";

/**
 * What {@link createEventClients} needs of an event stream's response (a `ServerResponse`).
 *
 * @example
 * const client: EventClient = response;
 */
export interface EventClient {
  /** What is still queued in the process for this client (the response's and its socket's buffers). */
  readonly writableLength: number;
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
}

/**
 * The dashboard's own figures about its event streams (in `/api/snapshot` as `server`).
 *
 * @example
 * const { clients, droppedClients } = server.stats();
 */
export interface EventClientStats {
  /** Event streams open now. */
  clients: number;
  /** The most that may be open at once. */
  maxClients: number;
  /** Streams refused because `maxClients` were open (answered 503). */
  refusedClients: number;
  /** Streams ended because their client stopped reading (more than the bound queued). */
  droppedClients: number;
  /** What was queued for all clients right after the last push (characters of event text). */
  queuedBytes: number;
  /** The most ever queued for all clients right after a push. */
  peakQueuedBytes: number;
}

/**
 * The open event streams of a dashboard.
 *
 * @example
 * const clients = createEventClients({ maxClients: 200 });
 * if (!clients.add(response)) refuse(response);
 */
export interface EventClients {
  /** Adds a stream; false (and counted as refused) when `maxClients` are open already. */
  add(client: EventClient): boolean;
  /** Forgets a stream that ended. */
  remove(client: EventClient): void;
  /**
   * Writes `text` to every stream. A stream whose queue would then exceed the bound (twice
   * `text`, at least `minQueueBound`) is destroyed instead: a client that stops reading costs at
   * most that much, never an unbounded buffer.
   */
  broadcast(text: string): void;
  /** Ends every stream (closing the server). */
  endAll(): void;
  stats(): EventClientStats;
}

/** The default of `maxClients`: 200 pages following the dashboard at once. */
export const DEFAULT_MAX_CLIENTS = 200;

/** The smallest per-client queue bound: small events may queue this much before a drop. */
export const MIN_QUEUE_BOUND = 256 * 1024;

/**
 * Keeps the event streams: at most `maxClients` at once, and none allowed more than two events'
 * worth of queued text. `res.write()` returning false alone is no reason to drop: one large event
 * fills a socket's buffer even for a client that reads; a client whose earlier events are still
 * queued when the next one comes has stopped keeping up. A browser reconnects by itself after a
 * drop and gets the history again. Every drop is logged (warn) and counted.
 *
 * @example
 * const clients = createEventClients({ maxClients: 200, logger });
 * clients.broadcast(`event: sample\ndata: ${json}\n\n`);
 */
export function createEventClients(options: {
  maxClients: number;
  logger?: Logger | undefined;
  /** Test hook: the floor of the per-client queue bound. Default {@link MIN_QUEUE_BOUND}. */
  minQueueBound?: number;
}): EventClients {
  const open = new Set<EventClient>();
  const minQueueBound = options.minQueueBound ?? MIN_QUEUE_BOUND;
  let refusedClients = 0;
  let droppedClients = 0;
  let queuedBytes = 0;
  let peakQueuedBytes = 0;

  const drop = (client: EventClient, queued: number, bound: number) => {
    open.delete(client);
    droppedClients++;
    client.destroy();
    options.logger?.warn(
      { queued, bound, droppedClients },
      `[streamstore] dashboard: ended an event stream whose client stopped reading (${queued} characters still queued, bound ${bound}); ${droppedClients} dropped so far. A browser reconnects by itself.`,
    );
  };

  return {
    add(client) {
      if (open.size >= options.maxClients) {
        refusedClients++;
        return false;
      }
      open.add(client);
      return true;
    },
    remove(client) {
      open.delete(client);
    },
    broadcast(text) {
      const bound = Math.max(2 * text.length, minQueueBound);
      let queued = 0;
      for (const client of [...open]) {
        const before = client.writableLength;
        if (before + text.length > bound) {
          drop(client, before, bound);
          continue;
        }
        client.write(text);
        queued += client.writableLength;
      }
      queuedBytes = queued;
      peakQueuedBytes = Math.max(peakQueuedBytes, queued);
    },
    endAll() {
      for (const client of open) client.end();
      open.clear();
    },
    stats() {
      return {
        clients: open.size,
        maxClients: options.maxClients,
        refusedClients,
        droppedClients,
        queuedBytes,
        peakQueuedBytes,
      };
    },
  };
}
