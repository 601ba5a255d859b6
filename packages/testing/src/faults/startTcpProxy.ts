import { createServer, type Server, Socket } from "node:net";

/** What the proxy does with one chunk of bytes. */
export type ProxyVerdict = "forward" | "drop-connection";

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where to forward, e.g. a private redis-server's port. */
  targetPort: number;
  targetHost?: string;
  /**
   * Called for every chunk a client sends, before it is forwarded. Return "drop-connection" to
   * forward this chunk and then cut the connection as soon as the server answers it (the
   * server has executed the command; the client never sees the reply).
   */
  onClientData?: (chunk: Buffer, connectionId: number) => ProxyVerdict | undefined;
  /**
   * Extra delay before each chunk is forwarded, in ms (either direction), e.g. random. Chunks
   * keep their order per connection and direction, as on a real TCP stream. Default 0.
   */
  delayMs?: () => number;
}

/** A running proxy, see {@link startTcpProxy}. */
export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Replies swallowed by cutting the connection. */
  readonly droppedReplies: number;
  /** Cuts every open connection now. */
  cutAll(): void;
  /** Holds every byte in both directions until `resume()` (a stalled network). */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy for fault injection: forward a client to Redis, and cut the connection
 * right after the server executed a chosen command, before its reply reaches the client (the
 * "lost reply" that makes retries dangerous). Also delays and stalls.
 *
 * @example
 * const proxy = await startTcpProxy({
 *   targetPort: server.port,
 *   onClientData: (chunk) => (chunk.includes("FCALL") ? "drop-connection" : "forward"),
 * });
 * const redis = new Redis(proxy.port);
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.targetHost ?? "127.0.0.1";
  const sockets = new Set<Socket>();
  let connections = 0;
  let droppedReplies = 0;
  let stalled = false;
  const held: (() => void)[] = [];
  // One per connection and direction: a TCP stream must arrive in order, so a chunk given a
  // shorter random delay than the one before it waits for it (a plain setTimeout per chunk
  // would reorder them and corrupt the RESP stream).
  const orderedScheduler = () => {
    const queue: { dueAt: number; action: () => void }[] = [];
    let lastDueAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      while (queue.length > 0 && (queue[0]?.dueAt ?? 0) <= performance.now())
        queue.shift()?.action();
      const head = queue[0];
      if (head) timer = setTimeout(pump, Math.max(0, head.dueAt - performance.now()));
    };
    return (action: () => void) => {
      const run = () => {
        const delay = options.delayMs?.() ?? 0;
        if (delay <= 0 && queue.length === 0) {
          action();
          return;
        }
        lastDueAt = Math.max(lastDueAt, performance.now() + delay);
        queue.push({ dueAt: lastDueAt, action });
        if (timer === undefined) pump();
      };
      if (stalled) held.push(run);
      else run();
    };
  };
  const server: Server = createServer((client) => {
    const connectionId = ++connections;
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    let cutOnReply = false;
    const toServer = orderedScheduler();
    const toClient = orderedScheduler();
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on("error", cut);
    upstream.on("error", cut);
    upstream.connect(options.targetPort, host);
    client.on("data", (chunk: Buffer) => {
      if (options.onClientData?.(chunk, connectionId) === "drop-connection") cutOnReply = true;
      toServer(() => upstream.write(chunk));
    });
    upstream.on("data", (chunk: Buffer) => {
      if (cutOnReply) {
        droppedReplies += 1;
        cut();
        return;
      }
      toClient(() => client.write(chunk));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    get connections() {
      return connections;
    },
    get droppedReplies() {
      return droppedReplies;
    },
    cutAll() {
      for (const socket of sockets) socket.destroy();
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const run of held.splice(0)) run();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
