import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium, which the browser tests drive (`pnpm test:all` installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Fails the browser tests with what to install when Chromium is not there.
 *
 * @example
 * beforeAll(() => assertChromium());
 */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `[streamstore] the dashboard's browser test needs Debian's chromium at ${CHROMIUM}: run "apt-get install -y chromium" ("pnpm test:all" installs it when missing: see "Running the tests" in the README).`,
    );
  }
}

/**
 * Headless Chromium with its profile in `profile`; `args` are added to its command line (e.g.
 * `--host-resolver-rules`).
 *
 * @example
 * const browser = await launchChromium(mkdtempSync(join(tmpdir(), "streamstore-chromium-")));
 */
export async function launchChromium(
  profile: string,
  args: readonly string[] = [],
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    // Without the background-networking flags Chromium keeps dialling Google's hosts, which this
    // machine's closed network refuses; root needs --no-sandbox.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...args,
    ],
  });
}
