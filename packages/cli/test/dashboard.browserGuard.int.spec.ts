import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardServer } from "../src/dashboard/startDashboardServer.js";
import { assertChromium, launchChromium } from "./support/chromium.js";
import { startShopServer } from "./support/dashboardServer.js";

// Issue 14 in a real browser: Chromium resolves evil.example to 127.0.0.1 (what a DNS rebinding
// attack achieves), a page of evil.example tries to read the dashboard, and the token's cookie
// route carries the page's EventSource.
const TOKEN = "browser-token-0123456789abcdef";

/** What a page of evil.example tries against the dashboard at `target`, reported as JSON. */
function evilPage(target: string): string {
  return `<!doctype html><title>evil</title><script>
const results = {};
const done = () => { if (Object.keys(results).length === 3) document.title = JSON.stringify(results); };
fetch(${JSON.stringify(`${target}api/snapshot`)}, { credentials: "include" })
  .then((response) => response.text().then((text) => { results.fetch = "read " + response.status + " " + text.slice(0, 40); }))
  .catch(() => { results.fetch = "failed"; })
  .then(done);
const events = new EventSource(${JSON.stringify(`${target}api/events`)});
events.onopen = () => { results.events = "open"; done(); };
events.onerror = () => { results.events = "error, readyState " + events.readyState; events.close(); done(); };
const image = new Image();
image.onload = () => { results.image = "loaded"; done(); };
image.onerror = () => { results.image = "error"; done(); };
image.src = ${JSON.stringify(`${target}api/events`)};
</script>`;
}

describe("the dashboard in Chromium: who may ask", () => {
  let profile: string;
  let browser: BrowserContext;
  let open: DashboardServer;
  let locked: DashboardServer;
  let evil: Server;

  beforeAll(async () => {
    assertChromium();
    open = await startShopServer({ intervalMs: 200 });
    locked = await startShopServer({ intervalMs: 200, token: TOKEN });
    evil = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(evilPage(open.url));
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    profile = mkdtempSync(join(tmpdir(), "streamstore-chromium-"));
    browser = await launchChromium(profile, ["--host-resolver-rules=MAP evil.example 127.0.0.1"]);
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await open?.close();
    await locked?.close();
    await new Promise((resolve) => evil?.close(resolve));
  });

  it("refuses a name that resolves to 127.0.0.1 but is not its own (DNS rebinding) with 421, showing no data", async () => {
    // When the browser opens the dashboard's port under evil.example
    const page = await browser.newPage();
    const port = new URL(open.url).port;
    const answer = await page.goto(`http://evil.example:${port}/api/snapshot`);

    // Then it is refused and the page holds the reason, not the snapshot
    expect(answer?.status()).toBe(421);
    const text = (await page.textContent("body")) ?? "";
    expect(text).toContain('does not answer to the Host "evil.example:');
    expect(text).not.toContain("carts");
    await page.close();
  });

  it("lets a page of another site neither read it nor hold its event streams open", async () => {
    // When a page of evil.example fetches the snapshot, follows the events and loads them as an image
    const page = await browser.newPage();
    const evilPort = (evil.address() as AddressInfo).port;
    await page.goto(`http://evil.example:${evilPort}/`);
    await page.waitForFunction('document.title.startsWith("{")');
    const results = JSON.parse(await page.title()) as Record<string, string>;

    // Then none of them got through (the server refused each: no event stream is open)
    expect(results).toEqual({ fetch: "failed", events: "error, readyState 2", image: "error" });
    expect(open.stats().clients).toBe(0);
    await page.close();
  });

  it("with a token: 401 without it; /?token= once sets an HttpOnly SameSite=Strict cookie, drops the token from the address, and the page's EventSource goes live with the cookie", async () => {
    // When the page is opened without the token
    const page = await browser.newPage();
    const refused = await page.goto(locked.url);
    expect(refused?.status()).toBe(401);

    // And then once with it
    const opened = await page.goto(`${locked.url}?token=${TOKEN}`);

    // Then the browser ends on the address without the token, and the page is live
    expect(opened?.status()).toBe(200);
    expect(page.url()).toBe(locked.url);
    await page.waitForSelector("#connection.live");
    await page.waitForFunction('Number(document.getElementById("lag-chart").dataset.samples) >= 3');
    expect(locked.stats().clients).toBe(1);
    // And the cookie is HttpOnly, SameSite=Strict, and not the token
    const cookies = await browser.cookies(locked.url);
    const port = new URL(locked.url).port;
    expect(cookies).toEqual([
      expect.objectContaining({
        name: `streamstore-dashboard-${port}`,
        httpOnly: true,
        sameSite: "Strict",
      }),
    ]);
    expect(cookies[0]?.value).not.toContain(TOKEN);
    expect(await page.evaluate("document.cookie")).toBe("");
    await page.close();
  });
});
