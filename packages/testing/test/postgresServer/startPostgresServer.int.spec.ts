import { access } from "node:fs/promises";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { hasPostgresServerBinaries, startPostgresServer } from "../../src/index.js";

/** Resolves the error `work` rejects with (fails the test when it resolves). */
async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("startPostgresServer", () => {
  it("finds initdb and pg_ctl on this machine (the archive's crash tests need them)", () => {
    expect(hasPostgresServerBinaries()).toBe(true);
  });

  it("starts a private server that keeps committed rows across a fast restart, refuses connections while halted, and leaves nothing behind after stop", async () => {
    // Given a private server with one committed row
    const server = await startPostgresServer();
    const sql = postgres(server.url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
      const [{ encoding } = { encoding: "" }] = await sql<{ encoding: string }[]>`
        SELECT current_setting('server_encoding') AS encoding`;
      expect(encoding).toBe("UTF8");
      await sql`CREATE TABLE kept (n integer PRIMARY KEY)`;
      await sql`INSERT INTO kept VALUES (1)`;

      // When it is restarted (pg_ctl -m fast restart -w)
      await server.restart();

      // Then the row is still there, through a new connection of the same pool
      expect(server.running).toBe(true);
      const rows = await sql<{ n: number }[]>`SELECT n FROM kept`;
      expect(rows.map((row) => row.n)).toEqual([1]);

      // And when halted, connecting is refused; once resumed, on the same port, the row is back
      await server.halt();
      expect(server.running).toBe(false);
      const refused = await rejection(() => sql`SELECT 1`);
      expect(String((refused as { code?: string }).code)).toMatch(
        /ECONNREFUSED|CONNECTION_CLOSED|CONNECTION_ENDED|57P01/,
      );
      await server.resume();
      const again = await sql<{ n: number }[]>`SELECT n FROM kept`;
      expect(again.map((row) => row.n)).toEqual([1]);
    } finally {
      await sql.end({ timeout: 1 });
      await server.stop();
    }

    // And stop() removed the cluster's directory
    expect(server.running).toBe(false);
    await expect(access(server.dir)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("runs two private servers side by side on different ports", async () => {
    // Given two servers started together
    const [first, second] = await Promise.all([startPostgresServer(), startPostgresServer()]);
    try {
      // When each is asked its port
      const ports = await Promise.all(
        [first, second].map(async (server) => {
          const sql = postgres(server.url, { max: 1, onnotice: () => {} });
          try {
            const [row] = await sql<{ port: string }[]>`SELECT current_setting('port') AS port`;
            return Number(row?.port);
          } finally {
            await sql.end({ timeout: 1 });
          }
        }),
      );
      // Then each answers on its own
      expect(ports).toEqual([first.port, second.port]);
      expect(first.port).not.toBe(second.port);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 120_000);
});
