import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import type { Logger } from "@streamstore/core";
import { checkExposure, isLoopbackAddress } from "./checkExposure.js";
import type { DashboardSnapshot } from "./collectSnapshot.js";
import { createSampleHistory, type DashboardSample } from "./createSampleHistory.js";
import { InvalidDashboardOptionError, UnprotectedDashboardError } from "./dashboardErrors.js";
import { createTokenCheck, type TokenCheck } from "./dashboardToken.js";
import { createEventClients, DEFAULT_MAX_CLIENTS, type EventClientStats } from "./eventClients.js";
import { renderDashboardPage } from "./renderDashboardPage.js";
import {
  type AllowedHost,
  allowedHostsFor,
  guardRequest,
  parseAllowedHosts,
} from "./requestGuard.js";

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
  /**
   * The interface to listen on. Default `127.0.0.1`. Another than loopback needs `token` (or
   * `insecureNoToken`): {@link UnprotectedDashboardError} otherwise.
   */
  host?: string;
  /**
   * A secret every request must carry (`Authorization: Bearer`, or the cookie that opening
   * `/?token=<token>` sets). At least 16 visible ASCII characters. Default: none.
   */
  token?: string | undefined;
  /** Listen beyond loopback without a token (behind a proxy that authenticates). Default false. */
  insecureNoToken?: boolean | undefined;
  /**
   * Host names (`name` for any port, `name:port`) answered to besides `localhost`, `127.0.0.1`,
   * `[::1]` and the bound address; any other `Host` gets 421 (DNS rebinding).
   */
  allowedHosts?: readonly string[] | undefined;
  /** Event streams (open pages) served at once; the next gets 503. Default 200. */
  maxClients?: number | undefined;
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
  maxClients: DEFAULT_MAX_CLIENTS,
} as const;

/** Seconds a page refused for too many open pages is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = 5;

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
  /** The server's own figures: open, refused and dropped event streams, queued text. */
  stats(): EventClientStats;
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

/** A short plain-text answer: refusals say why in one line. */
function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "text/plain; charset=utf-8",
    "content-security-policy": "default-src 'none'",
    ...headers,
  });
  response.end(`${text}\n`);
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
 * Every request is checked before it is read: its `Host` and `Origin` (see `guardRequest`), then
 * the token when there is one (see `createTokenCheck`). At most `maxClients` event streams are
 * open at once, and a stream whose client stops reading is ended (see `createEventClients`).
 * Listening beyond loopback without a token is refused before anything is read or opened.
 *
 * @example
 * const server = await startDashboardServer({ collect, title: "shop", redis: "redis://127.0.0.1:6379/", port: 0 });
 * process.once("SIGINT", () => void server.close());
 */
export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const host = options.host ?? DEFAULT_DASHBOARD_OPTIONS.host;
  const exposure = await checkExposure({
    host,
    token: options.token,
    insecureNoToken: options.insecureNoToken,
  });
  const extraHosts = parseAllowedHosts(options.allowedHosts ?? []);
  const maxClients = options.maxClients ?? DEFAULT_DASHBOARD_OPTIONS.maxClients;
  if (!Number.isInteger(maxClients) || maxClients < 1) {
    throw new InvalidDashboardOptionError(
      `--max-clients must be a whole number of at least 1, not ${maxClients}`,
    );
  }
  const intervalMs = options.intervalMs ?? DEFAULT_DASHBOARD_OPTIONS.intervalMs;
  const historyMs = options.historyMs ?? DEFAULT_DASHBOARD_OPTIONS.historyMs;
  const history = createSampleHistory({ capacity: Math.ceil(historyMs / intervalMs) + 1 });
  const clients = createEventClients({ maxClients, logger: options.logger });
  let latest: DashboardSnapshot | null = null;
  let problem: string | null = null;
  let closed = false;

  const sample = async (): Promise<void> => {
    try {
      const snapshot = await options.collect();
      if (closed) return;
      latest = snapshot;
      problem = null;
      const added: DashboardSample = history.record(snapshot);
      clients.broadcast(event("sample", { snapshot, sample: added }));
    } catch (error) {
      if (closed) return;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
      problem = `[streamstore] cannot read Redis: ${reason}. The page goes on when Redis answers again; check the server and --redis-url.`;
      options.logger?.warn({ err: error }, problem);
      clients.broadcast(event("problem", { message: problem }));
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

  // Set once the port is known; until then (and it is never long) every request is refused.
  let url = "";
  let allowed: AllowedHost[] = [];
  let tokenCheck: TokenCheck | undefined;

  const followEvents = (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === "HEAD") {
      response.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream" });
      response.end();
      return;
    }
    if (!clients.add(response)) {
      sendText(
        response,
        503,
        `[streamstore] this dashboard already serves ${maxClients} live pages (--max-clients): close one, or start it with a higher --max-clients. Retry in ${RETRY_AFTER_SECONDS} s.`,
        { "retry-after": String(RETRY_AFTER_SECONDS) },
      );
      return;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
    });
    // The browser reconnects after `retry` ms when the stream drops (a restart of the server).
    response.write(`retry: ${Math.max(1000, intervalMs)}\n`);
    response.write(event("history", { snapshot: latest, samples: history.samples() }));
    if (problem !== null) response.write(event("problem", { message: problem }));
    const forget = () => clients.remove(response);
    request.once("close", forget);
    response.once("error", forget);
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET";
    const verdict = guardRequest(request.headers, method, allowed, url);
    if (!verdict.ok) {
      sendText(response, verdict.status, verdict.reason);
      return;
    }
    if (method !== "GET" && method !== "HEAD") {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: "GET, HEAD" });
      response.end();
      return;
    }
    const decision = tokenCheck?.authorize(request.headers, request.url ?? "/") ?? { kind: "ok" };
    if (decision.kind === "refuse") {
      sendText(response, 401, decision.reason, {
        "www-authenticate": 'Bearer realm="streamstore dashboard"',
      });
      return;
    }
    if (decision.kind === "redirect") {
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        location: decision.location,
        "set-cookie": decision.setCookie,
      });
      response.end();
      return;
    }
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
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
        server: clients.stats(),
      });
      return;
    }
    if (path === "/api/events") {
      followEvents(request, response);
      return;
    }
    sendJson(response, 404, {
      error: `[streamstore] no page at ${path}. The dashboard serves /, /api/snapshot and /api/events.`,
    });
  };

  const server = createServer(handle);
  const stop = async () => {
    closed = true;
    clearTimeout(timer);
    clients.endAll();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
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
  // The name was checked before listening; the address bound is what counts.
  if (
    exposure.loopback &&
    !isLoopbackAddress(address.address) &&
    options.token === undefined &&
    !options.insecureNoToken
  ) {
    await stop();
    throw new UnprotectedDashboardError(host);
  }
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  url = `http://${shownHost}:${address.port}/`;
  allowed = allowedHostsFor({
    boundHost: address.address,
    port: address.port,
    extra: extraHosts,
    interfaceAddresses: Object.values(networkInterfaces()).flatMap((entries) =>
      (entries ?? []).map((entry) => entry.address),
    ),
  });
  if (options.token !== undefined) tokenCheck = createTokenCheck(options.token, address.port);
  return {
    url,
    stats: () => clients.stats(),
    async close() {
      if (closed) return;
      await stop();
    },
  };
}
