import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { InvalidDashboardOptionError } from "./dashboardErrors.js";

/** The environment variable `streamstore dashboard` takes its token from when `--token` is not given. */
export const DASHBOARD_TOKEN_ENV = "STREAMSTORE_DASHBOARD_TOKEN";

/** The shortest token accepted: 16 characters (`openssl rand -hex 32` gives 64). */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Refuses a token that is too short to stand in for a login, or that cannot travel in a header
 * or a URL unchanged (only visible ASCII, no spaces). {@link InvalidDashboardOptionError} (exit 2).
 *
 * @example
 * checkTokenShape(process.env.STREAMSTORE_DASHBOARD_TOKEN);
 */
export function checkTokenShape(token: string): void {
  if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidDashboardOptionError(
      `the dashboard token must be at least ${MIN_TOKEN_LENGTH} visible ASCII characters without spaces; make one with \`openssl rand -hex 32\``,
    );
  }
}

/** Constant-time equality of two strings of any lengths (their SHA-256 digests are compared). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The value of cookie `name` in a `Cookie` header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const separator = part.indexOf("=");
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      return part.slice(separator + 1).trim();
    }
  }
  return undefined;
}

/**
 * What {@link TokenCheck.authorize} decides: answer; refuse with 401; or (a page opened with
 * `?token=`) set the session cookie and redirect to the same address without the token.
 *
 * @example
 * const decision: TokenDecision = { kind: "redirect", location: "/", setCookie: "..." };
 */
export type TokenDecision =
  | { kind: "ok" }
  | { kind: "refuse"; reason: string }
  | { kind: "redirect"; location: string; setCookie: string };

/**
 * The token check of one dashboard server.
 *
 * @example
 * const check = createTokenCheck(token, 4800);
 * const decision = check.authorize(request.headers, request.url ?? "/");
 */
export interface TokenCheck {
  authorize(headers: { authorization?: string; cookie?: string }, url: string): TokenDecision;
}

/**
 * Checks every request for `token`: `Authorization: Bearer <token>` (scripts), or the session
 * cookie. The browser gets the cookie by opening `/?token=<token>` once: the answer sets it
 * (HttpOnly, SameSite=Strict) and redirects to `/`, so the token leaves the address bar; the
 * page's `EventSource`, which cannot send headers, is then authenticated by the cookie. The
 * cookie holds an HMAC of the token (never the token itself) and is named after the port, as
 * browsers share cookies between the ports of one host. Comparisons are constant-time.
 *
 * @example
 * const check = createTokenCheck("3f9a…", 4800);
 */
export function createTokenCheck(token: string, port: number): TokenCheck {
  const cookieName = `streamstore-dashboard-${port}`;
  const session = createHmac("sha256", token)
    .update("streamstore dashboard session")
    .digest("base64url");
  const reason =
    "[streamstore] this dashboard needs its token (--token or STREAMSTORE_DASHBOARD_TOKEN): send `Authorization: Bearer <token>`, or open /?token=<token> once in the browser (it sets a cookie and takes the token out of the address).";
  return {
    authorize(headers, url) {
      const parsed = new URL(url, "http://dashboard.invalid");
      const query = parsed.searchParams.get("token");
      if (query !== null && parsed.pathname === "/") {
        if (!sameSecret(query, token)) return { kind: "refuse", reason };
        parsed.searchParams.delete("token");
        return {
          kind: "redirect",
          location: `${parsed.pathname}${parsed.search}`,
          setCookie: `${cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict`,
        };
      }
      const bearer = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? "")?.[1];
      if (bearer !== undefined && sameSecret(bearer, token)) return { kind: "ok" };
      const cookie = cookieValue(headers.cookie, cookieName);
      if (cookie !== undefined && sameSecret(cookie, session)) return { kind: "ok" };
      return { kind: "refuse", reason };
    },
  };
}
