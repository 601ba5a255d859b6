import { describe, expect, it } from "vitest";
import {
  allowedHostsFor,
  guardRequest,
  parseAllowedHosts,
  parseHost,
} from "../src/dashboard/requestGuard.js";

const URL_SHOWN = "http://127.0.0.1:4800/";

describe("the dashboard's Host and Origin guard", () => {
  it("reads hosts as a browser writes them: lower case, IPv6 compressed, a port only when given", () => {
    expect(parseHost("LocalHost:4800")).toEqual({ name: "localhost", port: 4800 });
    expect(parseHost("[0:0:0:0:0:0:0:1]:4800")).toEqual({ name: "[::1]", port: 4800 });
    expect(parseHost("dash.internal")).toEqual({ name: "dash.internal" });
    // What is no host: userinfo, a path, an unbracketed IPv6, a port out of range, nothing
    for (const text of ["a@evil.example", "dash/x", "::1", "dash:70000", "dash:0", "", ":4800"]) {
      expect(parseHost(text), text).toBeUndefined();
    }
    expect(() => parseAllowedHosts(["ok.example", "bad host"])).toThrow(
      '[streamstore] --allowed-host "bad host" is not a host',
    );
  });

  it("allows the loopback names on the bound port, the bound address, and for a wildcard bind the interface addresses", () => {
    const loopback = allowedHostsFor({
      boundHost: "127.0.0.1",
      port: 4800,
      extra: [],
      interfaceAddresses: ["10.0.0.5"],
    });
    expect(loopback).toEqual([
      { name: "localhost", port: 4800 },
      { name: "127.0.0.1", port: 4800 },
      { name: "[::1]", port: 4800 },
      { name: "127.0.0.1", port: 4800 },
    ]);
    const everywhere = allowedHostsFor({
      boundHost: "0.0.0.0",
      port: 80,
      extra: [{ name: "dash.internal" }],
      interfaceAddresses: ["127.0.0.1", "10.0.0.5", "fe80::1"],
    });
    expect(everywhere.map((host) => host.name)).toEqual([
      "localhost",
      "127.0.0.1",
      "[::1]",
      "0.0.0.0",
      "127.0.0.1",
      "10.0.0.5",
      "dash.internal",
    ]);
  });

  it("refuses other Hosts (421), foreign or opaque Origins and other sites' subresource requests (403); passes the rest", () => {
    const allowed = [
      { name: "localhost", port: 4800 },
      { name: "127.0.0.1", port: 4800 },
      { name: "dash.internal" },
      { name: "proxy.internal", port: 80 },
    ];
    const verdict = (headers: Record<string, string>, method = "GET") =>
      guardRequest(headers, method, allowed, URL_SHOWN);
    const status = (headers: Record<string, string>, method?: string) => {
      const result = verdict(headers, method);
      return result.ok ? 200 : result.status;
    };

    expect(status({ host: "127.0.0.1:4800" })).toBe(200);
    expect(status({ host: "dash.internal:9999" })).toBe(200);
    expect(status({ host: "proxy.internal" })).toBe(200); // no port: 80
    expect(status({ host: "127.0.0.1:4801" })).toBe(421);
    expect(status({ host: "127.0.0.1" })).toBe(421);
    expect(status({})).toBe(421);
    expect(verdict({})).toMatchObject({
      reason: expect.stringContaining("does not answer to no Host"),
    });
    expect(status({ host: "evil.example:4800" })).toBe(421);
    // An attacker's long Host is quoted short and escaped
    const long = verdict({ host: `${"a".repeat(300)}"` });
    expect(long.ok ? "" : long.reason).toContain(`"${"a".repeat(100)}…"`);

    const host = "localhost:4800";
    expect(status({ host, origin: "http://localhost:4800" })).toBe(200);
    expect(status({ host, origin: "https://dash.internal" })).toBe(200);
    expect(status({ host, origin: "http://localhost:4801" })).toBe(403);
    expect(status({ host, origin: "null" })).toBe(403);
    expect(status({ host, origin: "http://LOCALHOST:4800" })).toBe(403); // no browser sends it so
    expect(status({ host, origin: "ftp://localhost:4800" })).toBe(403);

    const from = (site: string, mode: string, dest: string) => ({
      host,
      "sec-fetch-site": site,
      "sec-fetch-mode": mode,
      "sec-fetch-dest": dest,
    });
    expect(status(from("same-origin", "cors", "empty"))).toBe(200);
    expect(status(from("none", "navigate", "document"))).toBe(200);
    expect(status(from("cross-site", "navigate", "document"))).toBe(200);
    expect(status(from("cross-site", "navigate", "iframe"))).toBe(403);
    expect(status(from("cross-site", "navigate", "document"), "POST")).toBe(403);
    expect(status(from("cross-site", "no-cors", "image"))).toBe(403);
    expect(status(from("same-site", "no-cors", "script"))).toBe(403);
  });
});
