import { testArchive } from "@streamstore/testing/contract";
import postgres from "postgres";
import { afterAll } from "vitest";
import { createPostgresArchive } from "../src/createPostgresArchive.js";
import { createTestDatabase } from "./support/createTestDatabase.js";

// Issue 15: the PostgreSQL archive passes the archive contract (the in-memory one passes it too,
// packages/testing/test/archive). Each test gets a new table in this file's own database,
// through one shared pool that the archives are given (and so never end).
const database = await createTestDatabase();
const sql = postgres(database.url, { max: 4, onnotice: false });
afterAll(async () => {
  await sql.end();
  await database.drop();
});

let tables = 0;
testArchive("PostgreSQL", () => createPostgresArchive({ sql, table: `events_${++tables}` }));
