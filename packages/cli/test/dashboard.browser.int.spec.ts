import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { DashboardSnapshot } from "../src/dashboard/collectSnapshot.js";
import { startDashboardServer } from "../src/dashboard/startDashboardServer.js";
import { assertChromium, launchChromium } from "./support/chromium.js";
import { deleteKeysUnder } from "./support/cli.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "packages/cli/dist/bin.js");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const LIVE = join(ROOT, "examples/realtime-analytics/src/live.ts");
const CONFIG = fileURLToPath(new URL("fixtures/realtimeAnalytics.config.ts", import.meta.url));
// The committed screenshot is only rewritten on request, so a test run leaves the tree clean.
const SCREENSHOT = process.env.STREAMSTORE_UPDATE_SCREENSHOT
  ? join(ROOT, "docs/dashboard.png")
  : join(ROOT, ".tmp/dashboard.png");

/** A child process with its output kept, and a way to wait for a line of it. */
interface Child {
  process: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function start(command: string, args: string[], env: Record<string, string>): Child {
  const { REDIS_URL: _ignored, ...inherited } = process.env;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let ended = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      ended = true;
      for (const listener of listeners) listener();
      resolve(code);
    }),
  );
  return {
    process: child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (!match && !ended) return;
          listeners.delete(check);
          clearTimeout(timer);
          if (match) resolve(match);
          else reject(new Error(`the process exited without printing ${pattern}:\n${output}`));
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** The realtime-analytics example in live mode (examples/realtime-analytics/src/live.ts). */
function startExample(redisUrl: string, prefix: string, args: string[]): Child {
  return start(
    process.execPath,
    [TSX, "--conditions=@streamstore/source", LIVE, "--prefix", prefix, ...args],
    { REDIS_URL: redisUrl },
  );
}

async function stop(child: Child): Promise<number | null> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill("SIGINT");
  }
  return child.exited;
}

const samplesShown = async (page: Page): Promise<number> =>
  Number(await page.getAttribute("#lag-chart", "data-samples"));

const latestLag = async (page: Page): Promise<number> =>
  Number(await page.getAttribute("#lag-chart", "data-latest-lag"));

/** Polls the page until `accept` holds for the latest total lag; returns the values seen. */
async function waitForLag(
  page: Page,
  accept: (lag: number) => boolean,
  timeoutMs = 30_000,
): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const lag = await latestLag(page);
    seen.push(lag);
    if (accept(lag)) return seen;
    await page.waitForTimeout(100);
  }
  throw new Error(`the lag chart never reached the expected value; seen: ${seen.join(", ")}`);
}

describe("streamstore dashboard", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `analytics-live-${randomBytes(3).toString("hex")}`;
  const children: Child[] = [];
  let profile: string;
  let browser: BrowserContext;
  let redis: Redis;

  beforeAll(async () => {
    assertChromium();
    profile = mkdtempSync(join(tmpdir(), "streamstore-chromium-"));
    browser = await launchChromium(profile);
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  });

  afterAll(async () => {
    await Promise.all(children.map(stop));
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (redis) {
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    }
  });

  it("shows the running example's projections, consumer groups and dead letters, and its lag chart rises while a producer outruns the stopped projections and falls back to 0 when they run again", async () => {
    // Given the realtime-analytics example running live (20 page views/s, both projections)
    const example = startExample(redisUrl, prefix, ["--rate", "20"]);
    children.push(example);
    await example.waitFor(
      /live: prefix .* projections views-per-minute and views-per-path running/,
    );

    // When `streamstore dashboard` (the built binary) serves it on a free port
    const dashboard = start(
      process.execPath,
      [
        BIN,
        "dashboard",
        "--redis-url",
        redisUrl,
        "--prefix",
        prefix,
        "--config",
        CONFIG,
        "--port",
        "0",
        "--interval",
        "500",
      ],
      {},
    );
    children.push(dashboard);
    const [, url = ""] = await dashboard.waitFor(/streamstore dashboard on (http:\/\/\S+)/);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(url);

    // Then the page names the prefix, lists both projections live with their dead letters, and
    // shows one consumer in each projection's group on each of the 2 partitions
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await page.title()).toBe(`streamstore dashboard · ${prefix}`);
    expect(await page.textContent("h1")).toBe("streamstore dashboard");
    for (const name of ["views-per-minute", "views-per-path"]) {
      const row = page.locator(`#projections tr[data-projection="${name}"]`);
      await expect
        .poll(() => row.locator("td").allTextContents(), { timeout: 15_000 })
        .toEqual([
          ` ${name}`,
          "v1",
          "live",
          expect.any(String),
          expect.any(String),
          expect.any(String),
          "1",
          "0",
        ]);
    }
    await expect
      .poll(async () =>
        page
          .locator("#groups tbody tr")
          .evaluateAll((rows) =>
            rows.map((row) =>
              [...row.querySelectorAll("td")].slice(0, 3).map((td) => td.textContent),
            ),
          ),
      )
      .toEqual([
        ["session:0", "rm:views-per-minute:v1", "1"],
        ["session:0", "rm:views-per-path:v1", "1"],
        ["session:1", "rm:views-per-minute:v1", "1"],
        ["session:1", "rm:views-per-path:v1", "1"],
      ]);
    expect(await page.textContent("#dead-letters")).toBe("0");
    await expect
      .poll(async () => Number(await page.textContent("#appended-rate")))
      .toBeGreaterThan(0);
    const caughtUp = await waitForLag(page, (lag) => lag === 0);
    const quietPoints = await page.getAttribute(
      '#lag-chart polyline[data-series="views-per-minute"]',
      "points",
    );

    // When the example stops and a producer appends 150 views/s for 3 s with no projection running
    expect(await stop(example)).toBe(0);
    const producer = startExample(redisUrl, prefix, [
      "--rate",
      "150",
      "--no-projections",
      "--duration",
      "3",
    ]);
    children.push(producer);

    // Then the lag chart rises while the producer runs
    const rising = await waitForLag(page, (lag) => lag >= 200);
    expect(await producer.exited).toBe(0);
    const [, produced = "0"] = await producer.waitFor(/stopped after (\d+) page views/);
    // Each of the two projections is behind by every view the producer appended
    const peak = await waitForLag(page, (lag) => lag === 2 * Number(produced));
    const busyPoints = await page.getAttribute(
      '#lag-chart polyline[data-series="views-per-minute"]',
      "points",
    );
    expect(busyPoints).not.toBe(quietPoints);

    // When the example runs again
    const restarted = startExample(redisUrl, prefix, ["--rate", "20"]);
    children.push(restarted);
    await restarted.waitFor(/live: prefix/);

    // Then the projections catch up and the chart falls back to 0
    const recovered = await waitForLag(page, (lag) => lag === 0);
    // 8 more samples (4 s at --interval 500), so the screenshot shows the spike inside a steady line
    const samplesAtRecovery = await samplesShown(page);
    await expect
      .poll(() => samplesShown(page), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(samplesAtRecovery + 8);
    await waitForLag(page, (lag) => lag === 0);
    mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    console.info(
      `dashboard lag: ${caughtUp.at(-1)} before, first >= 200 after ${rising.length} polls, peak ${peak.at(-1)} (2 x ${produced} views), ${recovered.at(-1)} after catch-up; samples ${await page.getAttribute("#lag-chart", "data-samples")}; screenshot ${SCREENSHOT}`,
    );

    // When the dashboard gets Ctrl-C
    dashboard.process.kill("SIGINT");

    // Then it closes its connections and exits 0
    expect(await dashboard.exited).toBe(0);
    await page.close();
  }, 120_000);

  it("renders a hostile name from Redis as text in the real browser: no markup, no script", async () => {
    // Given a server whose only projection is named to inject markup and script
    const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const snapshot = (at: number): DashboardSnapshot => ({
      at,
      prefix: "shop",
      categories: [],
      groups: [],
      projections: [
        {
          name: hostile,
          build: "v1",
          activeBuild: "v1",
          state: "live",
          lag: 0,
          applied: 0,
          pending: 0,
          workers: 1,
          deadLetters: 0,
          healthy: true,
          partitions: [],
        },
      ],
    });
    let at = 0;
    const server = await startDashboardServer({
      collect: async () => {
        at += 1000;
        return snapshot(at);
      },
      title: hostile,
      redis: "redis://127.0.0.1:1/",
      port: 0,
      intervalMs: 200,
    });
    const page = await browser.newPage();
    try {
      // When Chromium opens it and a few samples arrive
      await page.goto(server.url);
      await expect.poll(() => page.locator("#projections tbody tr").count()).toBe(1);
      // (3 samples rendered: the name went through the table, the legend and the chart each time)
      await expect.poll(() => samplesShown(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);

      // Then the name is shown as text in the table and the legend, and nothing of it ran
      expect(await page.locator("#projections tbody td").first().textContent()).toBe(` ${hostile}`);
      expect(await page.locator("#lag-legend li").first().textContent()).toBe(hostile);
      expect(await page.textContent("#prefix")).toBe(hostile);
      expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator("img").count()).toBe(0);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it("shows reactors beside projections, and counts them in the health and dead-letter cards", async () => {
    // Given a healthy projection, a healthy reactor, and a reactor with 2 dead letters whose lag
    // Redis cannot count
    const reactor = (name: string, deadLetters: number, lag: number | null) => ({
      name,
      group: `rx:${name}`,
      source: ["order", "payment"],
      lag,
      pending: 0,
      consumers: 2,
      deadLetters,
      lastActivityAt: null,
      healthy: deadLetters === 0 && lag === 0,
    });
    let at = 0;
    const server = await startDashboardServer({
      collect: async () => ({
        at: ++at * 1000,
        prefix: "shop",
        categories: [],
        groups: [],
        projections: [
          {
            name: "balances",
            build: "v1",
            activeBuild: "v1",
            state: "live",
            lag: 0,
            applied: 0,
            pending: 0,
            workers: 1,
            deadLetters: 0,
            healthy: true,
            partitions: [],
          },
        ],
        reactors: [reactor("mailer", 0, 0), reactor("shipper", 2, null)],
      }),
      title: "shop",
      redis: "redis://127.0.0.1:1/",
      port: 0,
      intervalMs: 200,
    });
    const page = await browser.newPage();
    try {
      // When Chromium opens it
      await page.goto(server.url);
      await expect.poll(() => page.locator("#reactors tbody tr").count()).toBe(2);

      // Then each reactor has a row, and the cards count 2 of 3 healthy and 2 dead letters
      const rows = await page
        .locator("#reactors tbody tr")
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
        );
      expect(rows).toEqual([
        ["mailer", "order, payment", "0", "0", "2", "0", "never"],
        ["shipper", "order, payment", "?", "0", "2", "2", "never"],
      ]);
      await expect.poll(() => page.textContent("#healthy")).toBe("2 / 3");
      expect(await page.textContent("#dead-letters")).toBe("2");
    } finally {
      await page.close();
      await server.close();
    }
  });
});
