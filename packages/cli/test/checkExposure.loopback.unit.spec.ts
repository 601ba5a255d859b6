import { describe, expect, it } from "vitest";
import {
  checkExposure,
  isLoopbackAddress,
  isLoopbackHost,
} from "../src/dashboard/checkExposure.js";
import { UnprotectedDashboardError } from "../src/dashboard/dashboardErrors.js";
import { createTokenCheck } from "../src/dashboard/dashboardToken.js";
import { EXIT_CODES } from "../src/exitCodes.js";

const TOKEN = "0123456789abcdef0123456789abcdef";

describe("the dashboard's exposure", () => {
  it("tells loopback addresses and names from the rest", async () => {
    for (const address of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
    ]) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [
      "0.0.0.0",
      "::",
      "10.0.0.5",
      "::ffff:10.0.0.5",
      "fe80::1",
      "localhost",
    ]) {
      expect(isLoopbackAddress(address), address).toBe(false);
    }
    expect(await isLoopbackHost("localhost")).toBe(true);
    expect(await isLoopbackHost("box", async () => ["127.0.1.1"])).toBe(true);
    expect(await isLoopbackHost("box", async () => ["127.0.1.1", "10.0.0.5"])).toBe(false);
    expect(await isLoopbackHost("box", async () => Promise.reject(new Error("ENOTFOUND")))).toBe(
      false,
    );
  });

  it("refuses beyond loopback without a token (exit code 2), warns with one or with --insecure-no-token, says nothing on loopback", async () => {
    expect(await checkExposure({ host: "127.0.0.1" })).toEqual({ loopback: true, warnings: [] });
    const refused = await checkExposure({ host: "0.0.0.0" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UnprotectedDashboardError);
    expect((refused as UnprotectedDashboardError).exitCode).toBe(EXIT_CODES.usage);
    const withToken = await checkExposure({ host: "0.0.0.0", token: TOKEN });
    expect(withToken.warnings[0]).toContain("over plain HTTP");
    const insecure = await checkExposure({ host: "::", insecureNoToken: true });
    expect(insecure.warnings[0]).toContain("with no token (--insecure-no-token)");
    await expect(
      checkExposure({ host: "127.0.0.1", token: "has a space in it!!" }),
    ).rejects.toThrow("at least 16 visible ASCII characters without spaces");
  });

  it("takes the token as a bearer header, or as ?token= once (redirecting without it, other parameters kept)", () => {
    const check = createTokenCheck(TOKEN, 4800);
    expect(check.authorize({ authorization: `bearer ${TOKEN}` }, "/api/snapshot")).toEqual({
      kind: "ok",
    });
    expect(check.authorize({ authorization: `Basic ${TOKEN}` }, "/api/snapshot").kind).toBe(
      "refuse",
    );
    // ?token= is for the page only: an API URL with it is not answered
    expect(check.authorize({}, `/api/snapshot?token=${TOKEN}`).kind).toBe("refuse");
    const opened = check.authorize({}, `/?view=lag&token=${TOKEN}`);
    expect(opened).toMatchObject({ kind: "redirect", location: "/?view=lag" });
    const cookie = opened.kind === "redirect" ? (opened.setCookie.split(";")[0] ?? "") : "";
    expect(check.authorize({ cookie }, "/api/events")).toEqual({ kind: "ok" });
    // The cookie of a dashboard on another port (browsers share cookies across ports) is not it
    const other = createTokenCheck(TOKEN, 4801).authorize({}, `/?token=${TOKEN}`);
    const otherCookie = other.kind === "redirect" ? (other.setCookie.split(";")[0] ?? "") : "";
    expect(check.authorize({ cookie: otherCookie }, "/api/events").kind).toBe("refuse");
  });
});
