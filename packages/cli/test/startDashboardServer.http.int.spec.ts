import { until } from "@streamstore/testing/internal";
import { afterEach, describe, expect, it } from "vitest";
import type { DashboardSnapshot } from "../src/dashboard/collectSnapshot.js";
import type { DashboardServer } from "../src/dashboard/startDashboardServer.js";
import { counter, snapshotNamed, startShopServer } from "./support/dashboardServer.js";

/** Reads Server-Sent Events from a response until `count` events arrived (or the stream ended). */
async function readEvents(
  response: Response,
  count: number,
): Promise<{ events: { event: string; data: unknown }[]; ended: boolean }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) return { events, ended: true };
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return { events, ended: false };
}

describe("startDashboardServer", () => {
  let server: DashboardServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves the page with a nonce-based Content-Security-Policy, and /api/snapshot as JSON with the kept samples", async () => {
    // Given a server sampling every 50 ms on a free port
    server = await startShopServer({ intervalMs: 50 });

    // When the page and the snapshot are fetched once the server has kept 3 samples
    const url = server.url;
    let api: Response | undefined;
    let body:
      | {
          snapshot: DashboardSnapshot;
          samples: { at: number; projections: { name: string; lag: number }[] }[];
          intervalMs: number;
          historyMs: number;
          problem: string | null;
        }
      | undefined;
    await until(async () => {
      api = await fetch(new URL("api/snapshot", url));
      body = (await api.json()) as typeof body;
      return (body?.samples.length ?? 0) >= 3;
    }, "3 samples kept");
    if (!api || !body) throw new Error("unreachable: until resolved without a snapshot");
    const page = await fetch(server.url);
    const html = await page.text();

    // Then the page's inline script and style carry the nonce the policy allows, and nothing else runs
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const policy = page.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).toContain("<title>streamstore dashboard · shop</title>");
    // And the snapshot is the latest one, with every sample since the start, oldest first
    expect(api.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(body.snapshot.projections[0]).toMatchObject({ name: "carts", deadLetters: 2 });
    expect(body.snapshot.groups[0]).toMatchObject({ group: "rm:carts:v1", consumers: 1 });
    expect(body.samples.length).toBeGreaterThanOrEqual(3);
    expect(body.samples.map((sample) => sample.at)).toEqual(
      [...body.samples.map((sample) => sample.at)].sort((left, right) => left - right),
    );
    expect(body.samples[1]?.projections[0]).toMatchObject({ name: "carts", lag: 5 });
    expect(body).toMatchObject({ intervalMs: 50, historyMs: 600_000, problem: null });
  });

  it("sends the history when a page connects to /api/events, then one sample per interval, and ends the stream on close", async () => {
    // Given a server sampling every 50 ms
    server = await startShopServer({ intervalMs: 50 });

    // When a client follows the event stream for 3 events
    const response = await fetch(new URL("api/events", server.url));
    const { events } = await readEvents(response, 3);

    // Then the first is the history, the next two are consecutive samples
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(events.map((event) => event.event)).toEqual(["history", "sample", "sample"]);
    const [first, second] = events
      .slice(1)
      .map((event) => (event.data as { sample: { at: number } }).sample.at);
    expect(second).toBe((first ?? 0) + 1000);

    // When another client is connected and the server closes
    const open = await fetch(new URL("api/events", server.url));
    const closing = server.close();
    const after = await readEvents(open, 100);
    await closing;
    server = undefined;

    // Then that client's stream ends instead of hanging
    expect(after.ended).toBe(true);
  });

  it("escapes what comes from Redis: a hostile name cannot close the script element or add markup", async () => {
    // Given a projection name and a prefix written to break out of the page
    const hostile = "</script><script>window.pwned=1</script><img src=x onerror=alert(1)>";
    server = await startShopServer({
      collect: counter(hostile),
      title: '"><img src=x onerror=alert(1)>',
      intervalMs: 50,
    });

    // When the page is fetched
    const html = await (await fetch(server.url)).text();

    // Then the markup holds no tag of theirs, the header shows the prefix as text, and the
    // embedded data still parses back to the exact name
    expect(html).not.toContain("<script>window.pwned");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    const data = /<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(
      html,
    )?.[1];
    const config = JSON.parse(data ?? "null") as {
      initial: { snapshot: DashboardSnapshot };
    };
    expect(config.initial.snapshot.projections[0]?.name).toBe(hostile);
    // And the page's script never parses strings as HTML
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it("answers 404 with what it serves for other paths and 405 for other methods", async () => {
    // Given a server
    server = await startShopServer();

    // When other paths and methods are asked for
    const missing = await fetch(new URL("admin", server.url));
    const posted = await fetch(new URL("api/snapshot", server.url), { method: "POST" });

    // Then both are refused, the 404 saying what exists
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error:
        "[streamstore] no page at /admin. The dashboard serves /, /api/snapshot and /api/events.",
    });
    expect(posted.status).toBe(405);
    expect(posted.headers.get("allow")).toBe("GET, HEAD");
  });

  it("reports a failed read as a problem to the page and carries on when Redis answers again", async () => {
    // Given a collector that fails once, on its second read
    let reads = 0;
    const collect = async () => {
      reads++;
      if (reads === 2) throw new Error("Connection is closed.");
      return snapshotNamed("carts", reads * 1000);
    };
    server = await startShopServer({ collect, intervalMs: 200 });

    // When a page follows the events through the failure
    const { events } = await readEvents(await fetch(new URL("api/events", server.url)), 3);

    // Then it is told what failed and what to do, then gets samples again
    expect(events.map((event) => event.event)).toEqual(["history", "problem", "sample"]);
    expect(events[1]?.data).toEqual({
      message:
        "[streamstore] cannot read Redis: Connection is closed. The page goes on when Redis answers again; check the server and --redis-url.",
    });
  });
});
