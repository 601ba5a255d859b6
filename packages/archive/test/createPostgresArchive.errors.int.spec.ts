import { createServer } from "node:net";
import {
  type ArchivedEntry,
  isArchiveSchemaError,
  isArchiveUnavailableError,
  isInvalidArgumentError,
} from "@streamstore/core";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresArchive } from "../src/createPostgresArchive.js";
import { createTestDatabase } from "./support/createTestDatabase.js";

// Issue 15: the archive's typed errors — PostgreSQL unreachable (ArchiveUnavailableError, the
// password masked), tables of another archive schema version or not made by the archive
// (ArchiveSchemaError), bad options (InvalidArgumentError) — and what it never does to a pool it
// was given.
const database = await createTestDatabase();
const sql = postgres(database.url, { max: 4, onnotice: false });
afterAll(async () => {
  await sql.end();
  await database.drop();
});

const entry: ArchivedEntry = {
  category: "order",
  partition: 0,
  position: "1700000000000-0",
  streamName: "order-1",
  version: 1,
  eventId: "e1",
  type: "Placed",
  data: '{"total":5}',
  metadata: undefined,
  schemaVersion: 1,
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the call to fail").toBeDefined();
  return error;
}

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 1;
}

describe("createPostgresArchive: PostgreSQL unreachable", () => {
  it("rejects every call quickly with ArchiveUnavailableError, the password masked", async () => {
    // Given
    const port = await closedPort();
    const archive = createPostgresArchive({
      connectionString: `postgres://app:s3cret-Pa55@127.0.0.1:${port}/events`,
    });
    const started = performance.now();
    // When
    const errors = await Promise.all(
      [
        archive.write([entry]),
        archive.readStream("order-1", { direction: "forward", from: 1, to: 1, limit: 1 }),
        archive.readPartition("order", 0, { after: "0-0", limit: 1 }),
        archive.lastPosition("order", 0),
        archive.stats(),
      ].map(rejection),
    );
    // Then
    expect(performance.now() - started).toBeLessThan(5000);
    for (const error of errors) {
      expect(isArchiveUnavailableError(error), String(error)).toBe(true);
      const { message, target } = error as { message: string; target: string };
      expect(target).toBe(`postgres://app:***@127.0.0.1:${port}/events`);
      expect(message).toMatch(/^\[streamstore\] the archive at postgres:\/\/app:\*\*\*@/);
      expect(message).toContain("ECONNREFUSED");
      expect(message).toContain("@streamstore/archive README");
      expect(`${message} ${JSON.stringify(error)}`).not.toContain("s3cret");
    }
    await archive.close();
  });

  it("names a given pool by user, host and database, without its password", async () => {
    // Given
    const port = await closedPort();
    const given = postgres(`postgres://app:s3cret-Pa55@127.0.0.1:${port}/events`, {
      onnotice: false,
    });
    const archive = createPostgresArchive({ sql: given });
    // When
    const error = await rejection(archive.lastPosition("order", 0));
    // Then
    expect(isArchiveUnavailableError(error), String(error)).toBe(true);
    expect((error as { target: string }).target).toBe(`postgres://app@127.0.0.1:${port}/events`);
    expect((error as Error).message).not.toContain("s3cret");
    await archive.close();
    await given.end();
  });

  it("refuses calls after close() with ArchiveUnavailableError", async () => {
    // Given
    const archive = createPostgresArchive({ connectionString: database.url, table: "closed" });
    await archive.lastPosition("order", 0);
    // When
    await archive.close();
    const error = await rejection(archive.stats());
    // Then
    expect(isArchiveUnavailableError(error), String(error)).toBe(true);
  });
});

describe("createPostgresArchive: schema versions", () => {
  it("refuses tables recording another archive schema version, reading and writing nothing", async () => {
    // Given: tables made by this version, then marked as made by a future one
    const first = createPostgresArchive({ sql, table: "future" });
    await first.write([entry]);
    await sql`UPDATE future_meta SET value = '2' WHERE name = 'schema_version'`;
    const archive = createPostgresArchive({ sql, table: "future" });
    // When
    const onWrite = await rejection(
      archive.write([{ ...entry, position: "1700000000001-0", version: 2 }]),
    );
    const onRead = await rejection(archive.lastPosition("order", 0));
    // Then
    for (const error of [onWrite, onRead]) {
      expect(isArchiveSchemaError(error), String(error)).toBe(true);
      expect(error).toMatchObject({ table: "public.future", foundVersion: 2, expectedVersion: 1 });
      expect((error as Error).message).toMatch(
        /^\[streamstore\] the archive public\.future records archive schema version 2, .*version 1: .*@streamstore\/archive README/,
      );
    }
    expect(await sql`SELECT count(*)::int AS count FROM future`).toEqual([{ count: 1 }]);
  });

  it("refuses a table of its name that it did not create", async () => {
    // Given
    await sql`CREATE TABLE someone_elses (id int)`;
    const archive = createPostgresArchive({ sql, table: "someone_elses" });
    // When
    const error = await rejection(archive.write([entry]));
    // Then
    expect(isArchiveSchemaError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain("not created by @streamstore/archive");
    expect(await sql`SELECT count(*)::int AS count FROM someone_elses`).toEqual([{ count: 0 }]);
  });

  it("creates its tables once when several processes start on an empty database together", async () => {
    // Given: four archives on their own pools, as four processes would be
    const archives = Array.from({ length: 4 }, () =>
      createPostgresArchive({ connectionString: database.url, schema: "racing", table: "events" }),
    );
    // When
    await Promise.all(
      archives.map((archive, index) =>
        archive.write([
          { ...entry, position: `1700000000000-${index}`, streamName: `order-${index}` },
        ]),
      ),
    );
    // Then
    expect(await sql`SELECT value FROM racing.events_meta`).toEqual([{ value: "1" }]);
    expect(await sql`SELECT count(*)::int AS count FROM racing.events`).toEqual([{ count: 4 }]);
    for (const archive of archives) await archive.close();
  });
});

describe("createPostgresArchive: options", () => {
  it("refuses bad options at once with InvalidArgumentError", () => {
    // Given
    const bad = [
      {},
      { connectionString: database.url, sql },
      { connectionString: "" },
      { connectionString: database.url, table: "events; DROP TABLE x" },
      { connectionString: database.url, table: "bad-name" },
      { connectionString: database.url, schema: "" },
      { connectionString: database.url, table: "t".repeat(59) },
      { connectionString: database.url, maxConnections: 0 },
    ];
    for (const options of bad) {
      // When
      let error: unknown;
      try {
        createPostgresArchive(options as never);
      } catch (caught) {
        error = caught;
      }
      // Then
      expect(isInvalidArgumentError(error), `${JSON.stringify(options)}: ${error}`).toBe(true);
      expect((error as Error).message).toMatch(/^\[streamstore\] /);
    }
  });

  it("never ends a pool it was given", async () => {
    // Given
    const given = postgres(database.url, { max: 1, onnotice: false });
    const archive = createPostgresArchive({ sql: given, table: "borrowed" });
    await archive.write([entry]);
    // When
    await archive.close();
    // Then
    expect(await given`SELECT count(*)::int AS count FROM borrowed`).toEqual([{ count: 1 }]);
    await given.end();
  });
});
