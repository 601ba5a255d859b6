import { type ClientRequest, type IncomingMessage, request } from "node:http";

/** A whole answer of the dashboard. */
export interface HttpAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/**
 * A GET (or `method`) to the dashboard over `node:http`, which, unlike `fetch`, lets a test send
 * any `Host`, `Origin` or `Sec-Fetch-*` header, as a browser page of another site would.
 *
 * @example
 * const { status, body } = await httpGet(new URL("api/snapshot", url), { host: "evil.example" });
 */
export function httpGet(
  url: URL | string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, headers, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.once("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    sent.once("error", reject);
    sent.end();
  });
}

/** An event stream opened with {@link openEvents}: its answer's head, and the text read so far. */
export interface OpenEvents {
  status: number;
  headers: IncomingMessage["headers"];
  /** The text received so far (the whole body when the status is not 200). */
  text(): string;
  /** Resolves once the received text matches `pattern`; rejects when the stream ends first. */
  waitFor(pattern: RegExp): Promise<void>;
  close(): void;
  request: ClientRequest;
}

/**
 * Opens `/api/events` (or any URL) and reads it as it comes; resolves once the answer's head arrived.
 *
 * @example
 * const events = await openEvents(new URL("api/events", url), { cookie });
 * await events.waitFor(/event: history/);
 */
export function openEvents(
  url: URL | string,
  headers: Record<string, string> = {},
): Promise<OpenEvents> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { headers, agent: false }, (response) => {
      let text = "";
      let ended = false;
      const listeners = new Set<() => void>();
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
        for (const listener of listeners) listener();
      });
      const end = () => {
        ended = true;
        for (const listener of listeners) listener();
      };
      response.once("end", end);
      response.once("close", end);
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => text,
        waitFor(pattern) {
          return new Promise((found, failed) => {
            const check = () => {
              if (pattern.test(text)) {
                listeners.delete(check);
                found();
              } else if (ended) {
                listeners.delete(check);
                failed(new Error(`the stream ended without ${pattern}; received:\n${text}`));
              }
            };
            listeners.add(check);
            check();
          });
        },
        close: () => sent.destroy(),
        request: sent,
      });
    });
    sent.once("error", reject);
    sent.end();
  });
}
