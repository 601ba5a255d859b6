import { getFreePort, startTlsRedisServer, type TlsRedisServerHandle } from "@streamstore/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { finished, runCli, startCli } from "./support/cli.js";

// Issue 7: the documented exit codes, every command's --help example, and a TLS connection
// (rediss://) verified against a CA made here with openssl (CI installs openssl, .ci/run).

describe("streamstore exit codes and help", () => {
  it("exits with 5 for an unreachable Redis, 4 for an unknown stream, 2 for a bad option or command", async () => {
    // Given a port nobody listens on, and the run's Redis
    const nobody = `redis://127.0.0.1:${await getFreePort()}`;
    const redisUrl = inject("redisUrl");

    // When commands fail in each way
    const unreachable = await runCli(["streams"], { REDIS_URL: nobody });
    const unknownStream = await runCli(
      ["stream", "show", "account-nobody", "--prefix", "nothing-here"],
      { REDIS_URL: redisUrl },
    );
    const badLimit = await runCli(["streams", "--limit", "ten"], { REDIS_URL: redisUrl });
    const unknownOption = await runCli(["streams", "--bogus"], { REDIS_URL: redisUrl });
    const unknownCommand = await runCli(["stremas"], { REDIS_URL: redisUrl });
    const badName = await runCli(["stream", "show", "no category"], { REDIS_URL: redisUrl });
    const globPrefix = await runCli(["streams", "--prefix", "*"], { REDIS_URL: redisUrl });

    // Then each exit code and message says what to do
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toContain(`[streamstore] cannot reach Redis at ${nobody}`);
    expect(unreachable.stderr).toContain("Check --redis-url or REDIS_URL");
    expect(unknownStream.code).toBe(4);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain("--limit must be a whole number >= 1");
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--bogus'");
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("(Did you mean streams?)");
    expect(badName.code).toBe(2);
    // A glob in the prefix would widen every SCAN pattern to other tenants' keys.
    expect(globPrefix.code).toBe(2);
    expect(globPrefix.stderr).toContain('[streamstore] prefix "*" is not a key prefix');
    expect(globPrefix.stdout).toBe("");
  });

  it("shows an example in every command's --help, and the exit codes in the program's", async () => {
    // Given every command
    const commands = [
      ["doctor"],
      ["streams"],
      ["stream", "show"],
      ["categories"],
      ["tail"],
      ["projections", "list"],
      ["projections", "status"],
      ["projections", "rebuild"],
      ["dlq", "list"],
      ["dlq", "show"],
      ["dlq", "retry"],
      ["dlq", "discard"],
    ];

    // When each one's help is printed
    const helps = await Promise.all(commands.map((command) => runCli([...command, "--help"])));
    const main = await runCli(["--help"]);
    const version = await runCli(["--version"]);

    // Then each has an example of itself
    for (const [index, help] of helps.entries()) {
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(
        new RegExp(`Examples?:\\n  \\$ streamstore ${(commands[index] ?? []).join(" ")}`),
      );
    }
    expect(main.stdout).toContain("130  interrupted by Ctrl-C");
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("ends quietly with 0 when its reader closes the pipe early, as `| head -1` or `| grep -q` do", async () => {
    // Given the binary whose stdout reader has gone before it writes (CI's pack-check crashed
    // with an unhandled EPIPE on `streamstore --help | grep -q doctor`)
    const child = startCli(["--help"]);
    child.stdout?.destroy();

    // When it prints its help into the closed pipe
    const run = await finished(child);

    // Then it ends as Unix tools do: no crash, no stack
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("EPIPE");
  });
});

describe("streamstore over TLS", () => {
  let server: TlsRedisServerHandle | undefined;
  let port: number;
  let caFile: string;

  beforeAll(async () => {
    // Persistence on: doctor exits 0 only on a server it finds safe.
    server = await startTlsRedisServer({
      args: ["--appendonly", "yes", "--appendfsync", "always"],
    });
    ({ port, caFile } = server);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("connects with rediss:// verifying the server against the CA, and refuses an unknown CA with exit code 5", async () => {
    // Given a TLS-only server whose certificate the CA signed
    const url = `rediss://localhost:${port}`;

    // When doctor runs trusting the CA (NODE_EXTRA_CA_CERTS), then trusting nothing extra
    const trusted = await runCli(["doctor", "--json"], {
      REDIS_URL: url,
      NODE_EXTRA_CA_CERTS: caFile,
    });
    const untrusted = await runCli(["doctor"], { REDIS_URL: url });

    // Then the first reads the server's settings, the second cannot connect
    expect(trusted.code).toBe(0);
    // (the URL as the CLI prints it everywhere: canonical, with the database)
    expect((JSON.parse(trusted.stdout) as { server: string; ok: boolean }).server).toBe(`${url}/0`);
    expect(untrusted.code).toBe(5);
    expect(untrusted.stderr).toContain("[streamstore] cannot reach Redis at rediss://localhost");
  });
});
