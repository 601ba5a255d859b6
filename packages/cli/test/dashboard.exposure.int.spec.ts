import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, inject, it } from "vitest";
import { runCli, startCli } from "./support/cli.js";
import { httpGet } from "./support/dashboardHttp.js";

// Issue 14: `streamstore dashboard` beyond loopback. The real binary: without a token it refuses to
// start (before it dials Redis); with one it warns that the traffic is plain HTTP and answers only
// with the token; on loopback it says nothing special.
const TOKEN = "0123456789abcdef0123456789abcdef";
const UNREACHABLE = { REDIS_URL: "redis://127.0.0.1:1" };

interface Serving {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts `streamstore dashboard <args>` and resolves once it printed its address (stdout) and its
 * last note, "Press Ctrl-C to stop." (stderr).
 */
function serve(args: string[], env: Record<string, string>): Promise<Serving> {
  const child = startCli(["dashboard", "--port", "0", ...args], env);
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  return new Promise((resolve, reject) => {
    const check = () => {
      const url = /streamstore dashboard on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (!url || !stderr.includes("Press Ctrl-C to stop.")) return;
      resolve({
        child,
        url,
        stderr: () => stderr,
        stop: () => {
          child.kill("SIGINT");
          return exited;
        },
      });
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      check();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
    void exited.then((code) =>
      reject(new Error(`the dashboard exited (${code}) before listening:\n${stdout}${stderr}`)),
    );
  });
}

describe("streamstore dashboard: exposure", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `dash${Date.now().toString(36)}`;
  let running: Serving | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("refuses to listen beyond loopback without a token, before dialling Redis (exit code 2)", async () => {
    // When the dashboard is asked to listen on every interface with no token (and Redis is unreachable)
    const run = await runCli(["dashboard", "--host", "0.0.0.0", "--port", "0"], UNREACHABLE);
    const shortToken = await runCli(
      ["dashboard", "--host", "0.0.0.0", "--port", "0", "--token", "short"],
      UNREACHABLE,
    );
    const badHost = await runCli(
      ["dashboard", "--port", "0", "--allowed-host", "dash.example/path"],
      UNREACHABLE,
    );

    // Then it stops with the usage exit code and says what to pass; Redis was never dialled (that
    // would be exit code 5) and nothing was served
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      '[streamstore] the dashboard will not listen on 0.0.0.0 without a token: that address is not loopback and the page would be open to anyone who reaches it. Pass --token <secret> (or set STREAMSTORE_DASHBOARD_TOKEN; e.g. `openssl rand -hex 32`), keep --host 127.0.0.1 and use an SSH tunnel, or, behind your own authenticating proxy, pass --insecure-no-token (see "streamstore dashboard" in the @streamstore/cli README).\n',
    );
    // And a token too short to stand for a login, or an allowed host that is none, are refused too
    expect(shortToken.code).toBe(2);
    expect(shortToken.stderr).toContain(
      "[streamstore] the dashboard token must be at least 16 visible ASCII characters",
    );
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain(
      '[streamstore] --allowed-host "dash.example/path" is not a host',
    );
  });

  it("beyond loopback with STREAMSTORE_DASHBOARD_TOKEN, warns that the traffic is plain HTTP and answers only with the token", async () => {
    // Given the dashboard on every interface, its token from the environment
    running = await serve(["--host", "0.0.0.0", "--prefix", prefix], {
      REDIS_URL: redisUrl,
      STREAMSTORE_DASHBOARD_TOKEN: TOKEN,
    });
    const port = new URL(running.url).port;
    const snapshot = `http://127.0.0.1:${port}/api/snapshot`;

    // When the snapshot is asked for without the token and with it
    const without = await httpGet(snapshot);
    const withToken = await httpGet(snapshot, { authorization: `Bearer ${TOKEN}` });

    // Then the start said how to give the token and warned about plain HTTP, never printing the token
    expect(running.url).toBe(`http://0.0.0.0:${port}/`);
    expect(running.stderr()).toContain(
      `The page needs the token: open http://0.0.0.0:${port}/?token=<token> once (it sets a cookie), or send Authorization: Bearer <token>.`,
    );
    expect(running.stderr()).toContain(
      "Warning: the dashboard listens on 0.0.0.0, beyond loopback, over plain HTTP: the token and every page travel unencrypted.",
    );
    expect(running.stderr()).not.toContain(TOKEN);
    // And only the request with the token is answered
    expect(without.status).toBe(401);
    expect(withToken.status).toBe(200);
    expect(JSON.parse(withToken.body).snapshot.prefix).toBe(prefix);
    expect(await running.stop()).toBe(0);
    running = undefined;
  });

  it("on loopback without a token, starts as before with no warning; --insecure-no-token opens beyond loopback with one", async () => {
    // Given the dashboard on loopback with no token
    running = await serve(["--prefix", prefix], { REDIS_URL: redisUrl });
    const answer = await httpGet(new URL("api/snapshot", running.url));

    // Then it answers, and says nothing but which Redis it reads (every command's header) and how
    // to stop it
    expect(answer.status).toBe(200);
    expect(running.stderr()).toBe(
      `Redis: redis://${new URL(redisUrl).host}/0\nPress Ctrl-C to stop.\n`,
    );
    await running.stop();

    // When it is opened beyond loopback on purpose, with no token
    running = await serve(["--host", "0.0.0.0", "--insecure-no-token", "--prefix", prefix], {
      REDIS_URL: redisUrl,
    });

    // Then it says the page is open to anyone who reaches it
    expect(running.stderr()).toContain(
      "Warning: the dashboard listens on 0.0.0.0, beyond loopback, with no token (--insecure-no-token)",
    );
  });
});
