import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@streamstore/core";
import type { DashboardSnapshot } from "./collectSnapshot.js";
import { createSampleHistory, type DashboardSample } from "./createSampleHistory.js";
import { renderDashboardPage } from "./renderDashboardPage.js";

/**
 * Options of {@link startDashboardServer}.
 *
 * @example
 * await startDashboardServer({ collect: () => collectSnapshot({ redis, prefix, projections }), title: prefix, redis: url });
 */
export interface DashboardServerOptions {
  /** Reads one snapshot (from Redis; tests pass their own). */
  collect: () => Promise<DashboardSnapshot>;
  /** Shown in the page header: the key prefix. */
  title: string;
  /** Shown in the page header: the Redis URL without its password. */
  redis: string;
  /** The interface to listen on. Default `127.0.0.1`: the page has no authentication. */
  host?: string;
  /** The port; 0 picks a free one. Default 4800. */
  port?: number;
  /** Sampling and push interval, ms. Default 1000. */
  intervalMs?: number;
  /** How much history the server keeps and a new page shows, ms. Default 10 minutes. */
  historyMs?: number;
  /** Where collection failures are logged. */
  logger?: Logger;
}

/**
 * The defaults of {@link DashboardServerOptions}.
 *
 * @example
 * const port = options.port ?? DEFAULT_DASHBOARD_OPTIONS.port;
 */
export const DEFAULT_DASHBOARD_OPTIONS = {
  host: "127.0.0.1",
  port: 4800,
  intervalMs: 1000,
  historyMs: 10 * 60_000,
} as const;

/**
 * A running dashboard server.
 *
 * @example
 * const server = await startDashboardServer(options);
 * console.log(server.url);
 * await server.close();
 */
export interface DashboardServer {
  /** `http://host:port/` */
  readonly url: string;
  /** Stops sampling, ends every open event stream and closes the listener. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function contentSecurityPolicy(nonce: string): string {
  // Only the page's own nonce'd style and script run, and they may only talk to this server.
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "application/json; charset=utf-8",
  });
  response.end(`${JSON.stringify(value)}\n`);
}

function event(name: string, value: unknown): string {
  // JSON has no raw newlines, so one `data:` line carries the whole event.
  return `event: ${name}\ndata: ${JSON.stringify(value)}\n\n`;
}

/**
 * Serves the live status page on `node:http`: `/` (the page), `/api/snapshot` (the latest
 * snapshot and the kept samples as JSON) and `/api/events` (Server-Sent Events: `history` on
 * connect, then `sample` every interval, `problem` when Redis cannot be read). Samples are taken
 * whether or not a page is open, so a page opened later shows the minutes before it.
 *
 * @example
 * const server = await startDashboardServer({ collect, title: "shop", redis: "redis://127.0.0.1:6379/", port: 0 });
 * process.once("SIGINT", () => void server.close());
 */
export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const intervalMs = options.intervalMs ?? DEFAULT_DASHBOARD_OPTIONS.intervalMs;
  const historyMs = options.historyMs ?? DEFAULT_DASHBOARD_OPTIONS.historyMs;
  const history = createSampleHistory({ capacity: Math.ceil(historyMs / intervalMs) + 1 });
  const clients = new Set<ServerResponse>();
  let latest: DashboardSnapshot | null = null;
  let problem: string | null = null;
  let closed = false;

  const broadcast = (text: string) => {
    for (const client of clients) client.write(text);
  };
  const sample = async (): Promise<void> => {
    try {
      const snapshot = await options.collect();
      if (closed) return;
      latest = snapshot;
      problem = null;
      const added: DashboardSample = history.record(snapshot);
      broadcast(event("sample", { snapshot, sample: added }));
    } catch (error) {
      if (closed) return;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
      problem = `[streamstore] cannot read Redis: ${reason}. The page goes on when Redis answers again; check the server and --redis-url.`;
      options.logger?.warn({ err: error }, problem);
      broadcast(event("problem", { message: problem }));
    }
  };
  // One collection at a time: a slow Redis stretches the interval instead of piling up reads.
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await sample();
    if (!closed) timer = setTimeout(loop, intervalMs);
  };
  await sample();
  if (problem !== null) throw new Error(problem);
  timer = setTimeout(loop, intervalMs);

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: "GET, HEAD" });
      response.end();
      return;
    }
    if (path === "/") {
      const nonce = randomBytes(16).toString("base64");
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": contentSecurityPolicy(nonce),
      });
      response.end(
        renderDashboardPage({
          nonce,
          title: options.title,
          redis: options.redis,
          intervalMs,
          historyMs,
          initial: { snapshot: latest, samples: history.samples() },
        }),
      );
      return;
    }
    if (path === "/api/snapshot") {
      sendJson(response, 200, {
        snapshot: latest,
        samples: history.samples(),
        intervalMs,
        historyMs,
        problem,
      });
      return;
    }
    if (path === "/api/events") {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        connection: "keep-alive",
      });
      // The browser reconnects after `retry` ms when the stream drops (a restart of the server).
      response.write(`retry: ${Math.max(1000, intervalMs)}\n`);
      response.write(event("history", { snapshot: latest, samples: history.samples() }));
      if (problem !== null) response.write(event("problem", { message: problem }));
      clients.add(response);
      const forget = () => clients.delete(response);
      request.once("close", forget);
      response.once("error", forget);
      return;
    }
    sendJson(response, 404, {
      error: `[streamstore] no page at ${path}. The dashboard serves /, /api/snapshot and /api/events.`,
    });
  });
  const host = options.host ?? DEFAULT_DASHBOARD_OPTIONS.host;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_DASHBOARD_OPTIONS.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: unknown) => {
    closed = true;
    clearTimeout(timer);
    throw error;
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
