import { afterEach, describe, expect, it } from "vitest";
import type { DashboardServer } from "../src/dashboard/startDashboardServer.js";
import { httpGet, type OpenEvents, openEvents } from "./support/dashboardHttp.js";
import { startShopServer } from "./support/dashboardServer.js";

// Issue 14: a page of another site must not read the dashboard, neither by pointing its own name
// at 127.0.0.1 (DNS rebinding: its requests then name its host) nor by asking from its pages
// (Origin, Sec-Fetch-Site); with a token, nothing is answered without it; event streams are capped.
const TOKEN = "s3cret-dashboard-token-0123456789";

describe("startDashboardServer: who may ask", () => {
  let server: DashboardServer | undefined;
  const streams: OpenEvents[] = [];

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server?.close();
    server = undefined;
  });

  it("answers only to its own Host names: another name (DNS rebinding) gets 421 and a plain-text reason, never the snapshot", async () => {
    // Given a server on 127.0.0.1, with one extra name allowed
    server = await startShopServer({ allowedHosts: ["dash.internal"] });
    const port = new URL(server.url).port;
    const snapshot = new URL("api/snapshot", server.url);

    // When the snapshot is asked for under names a rebinding page would use, and under its own
    const refused = await Promise.all(
      ["evil.example", `evil.example:${port}`, "127.0.0.1:1", `localhost.evil.example:${port}`].map(
        (host) => httpGet(snapshot, { host }),
      ),
    );
    const answered = await Promise.all(
      [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`].map((host) =>
        httpGet(snapshot, { host }),
      ),
    );
    const extra = await httpGet(snapshot, { host: "dash.internal" });
    const events = await openEvents(new URL("api/events", server.url), { host: "evil.example" });

    // Then every other name is refused with 421, a short text saying what to do, and no data
    expect(refused.map((answer) => answer.status)).toEqual([421, 421, 421, 421]);
    expect(refused[0]?.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(refused[0]?.body).toBe(
      `[streamstore] this dashboard does not answer to the Host "evil.example" (a guard against DNS rebinding). Open it as ${server.url}, or start it with --allowed-host <name[:port]> for the name you use.\n`,
    );
    for (const answer of refused) expect(answer.body).not.toContain("carts");
    expect(events.status).toBe(421);
    // And its own names (any case, IPv6 loopback too) and the allowed one get the snapshot
    expect(answered.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(JSON.parse(answered[0]?.body ?? "{}").snapshot.projections[0].name).toBe("carts");
    expect(extra.status).toBe(200);
  });

  it("refuses requests made by other sites' pages (foreign Origin, Sec-Fetch-Site cross-site) with 403, and answers its own page's", async () => {
    // Given a server
    server = await startShopServer();
    const { host, origin } = new URL(server.url);
    const snapshot = new URL("api/snapshot", server.url);
    const events = new URL("api/events", server.url);

    // When other sites' pages ask (with CORS: an Origin; with <img>/<script>: Sec-Fetch-Site only)
    const foreign = await httpGet(snapshot, { host, origin: "http://evil.example" });
    const otherPort = await httpGet(snapshot, { host, origin: "http://127.0.0.1:3000" });
    const opaque = await httpGet(snapshot, { host, origin: "null" });
    const foreignEvents = await openEvents(events, { host, origin: "http://evil.example" });
    const image = await openEvents(events, {
      host,
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "no-cors",
      "sec-fetch-dest": "image",
    });
    const sameSite = await httpGet(snapshot, {
      host,
      "sec-fetch-site": "same-site",
      "sec-fetch-mode": "cors",
      "sec-fetch-dest": "empty",
    });
    // And when the page itself asks, a link of another site is followed to it, and curl asks
    const own = await httpGet(snapshot, { host, origin, "sec-fetch-site": "same-origin" });
    const ownEvents = await openEvents(events, { host, origin, "sec-fetch-site": "same-origin" });
    streams.push(ownEvents);
    const followedLink = await httpGet(server.url, {
      host,
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
    });
    const curl = await httpGet(snapshot, { host });

    // Then the other sites get 403 with the reason, and no event stream
    expect([foreign, otherPort, opaque, sameSite].map((answer) => answer.status)).toEqual([
      403, 403, 403, 403,
    ]);
    expect(foreign.body).toBe(
      `[streamstore] this dashboard refuses requests made by the pages of other sites (Origin "http://evil.example"). Open it as ${server.url}; a name of yours needs --allowed-host <name[:port]>.\n`,
    );
    expect([foreignEvents.status, image.status]).toEqual([403, 403]);
    expect(image.text()).toContain("(Sec-Fetch-Site: cross-site)");
    expect(server.stats().clients).toBe(1);
    // And the page, a followed link and curl are answered
    expect([own.status, ownEvents.status, followedLink.status, curl.status]).toEqual([
      200, 200, 200, 200,
    ]);
    await ownEvents.waitFor(/event: history/);
    expect(followedLink.body).toContain("<title>streamstore dashboard · shop</title>");
  });

  it("with a token, answers nothing without it (401), the snapshot with the bearer header, and the event stream with the cookie that /?token= sets", async () => {
    // Given a server with a token
    server = await startShopServer({ token: TOKEN, intervalMs: 50 });
    const { host } = new URL(server.url);
    const port = new URL(server.url).port;
    const snapshot = new URL("api/snapshot", server.url);
    const events = new URL("api/events", server.url);

    // When it is asked without the token, with a wrong one, and with the right one as a header
    const bare = await httpGet(snapshot, { host });
    const page = await httpGet(server.url, { host });
    const wrong = await httpGet(snapshot, { host, authorization: `Bearer ${TOKEN}x` });
    const wrongQuery = await httpGet(`${server.url}?token=nope`, { host });
    const noEvents = await openEvents(events, { host });
    const bearer = await httpGet(snapshot, { host, authorization: `Bearer ${TOKEN}` });

    // Then only the header is answered; the refusals say how to give the token
    expect([bare, page, wrong, wrongQuery].map((answer) => answer.status)).toEqual([
      401, 401, 401, 401,
    ]);
    expect(noEvents.status).toBe(401);
    expect(bare.headers["www-authenticate"]).toBe('Bearer realm="streamstore dashboard"');
    expect(bare.body).toContain("send `Authorization: Bearer <token>`, or open /?token=<token>");
    expect(bare.body).not.toContain("carts");
    expect(wrongQuery.headers["set-cookie"]).toBeUndefined();
    expect(bearer.status).toBe(200);
    expect(JSON.parse(bearer.body).snapshot.projections[0].name).toBe("carts");

    // When the browser opens /?token= once
    const opened = await httpGet(`${server.url}?token=${encodeURIComponent(TOKEN)}`, { host });

    // Then the answer sets an HttpOnly SameSite=Strict cookie (not the token itself) and redirects
    // to the address without the token
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe("/");
    const setCookie = opened.headers["set-cookie"]?.[0] ?? "";
    expect(setCookie).toMatch(
      new RegExp(`^streamstore-dashboard-${port}=[\\w-]+; Path=/; HttpOnly; SameSite=Strict$`),
    );
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] ?? "";

    // When the page and its event stream (an EventSource sends no headers but the cookie) use it
    const withCookie = await httpGet(server.url, { host, cookie: `other=1; ${cookie}` });
    const stream = await openEvents(events, { host, cookie });
    streams.push(stream);
    const forged = await openEvents(events, { host, cookie: `${cookie}x` });

    // Then both are answered and the stream carries the history and samples; a forged cookie is not
    expect(withCookie.status).toBe(200);
    expect(stream.status).toBe(200);
    await stream.waitFor(/event: history[\s\S]*event: sample/);
    expect(forged.status).toBe(401);
  });

  it("serves 200 event streams at once by default: the 201st gets 503 with Retry-After and why, and once one closes the next is served", async () => {
    // Given a server with the default cap, and 200 pages following it
    server = await startShopServer();
    const events = new URL("api/events", server.url);
    const opened = await Promise.all(Array.from({ length: 200 }, () => openEvents(events)));
    streams.push(...opened);
    expect(opened.every((stream) => stream.status === 200)).toBe(true);
    expect(server.stats()).toMatchObject({ clients: 200, maxClients: 200 });

    // When the 201st asks
    const refused = await openEvents(events);
    await refused.waitFor(/\n$/);

    // Then it gets 503, a Retry-After and a message saying what to do
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(refused.text()).toBe(
      "[streamstore] this dashboard already serves 200 live pages (--max-clients): close one, or start it with a higher --max-clients. Retry in 5 s.\n",
    );
    expect(server.stats()).toMatchObject({ clients: 200, refusedClients: 1 });

    // When one page closes (the server sees its socket close), the next one is served
    opened[0]?.close();
    const deadline = Date.now() + 10_000;
    while (server.stats().clients === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const next = await openEvents(events);
    streams.push(next);
    expect(next.status).toBe(200);
  });
});
