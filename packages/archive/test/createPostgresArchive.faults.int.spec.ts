import { type ArchivedEntry, isArchiveUnavailableError } from "@streamstore/core";
import { startTcpProxy } from "@streamstore/testing";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresArchive } from "../src/createPostgresArchive.js";
import { createTestDatabase } from "./support/createTestDatabase.js";

// Issue 15: the archive between the archiver and PostgreSQL on a bad network — a COMMIT whose
// reply never arrives, connections cut while idle. The archiver retries a failed write; these
// tests show that the retry is safe and that the archive reconnects by itself.
const database = await createTestDatabase();
const sql = postgres(database.url, { max: 2, onnotice: false });
afterAll(async () => {
  await sql.end();
  await database.drop();
});

const direct = new URL(database.url);
const throughProxy = (port: number) => {
  const url = new URL(database.url);
  url.port = String(port);
  return url.href;
};
const entries: ArchivedEntry[] = Array.from({ length: 100 }, (_, index) => ({
  category: "order",
  partition: 0,
  position: `1700000000000-${index}`,
  streamName: `order-${index % 10}`,
  version: Math.floor(index / 10) + 1,
  eventId: `e${index}`,
  type: "Placed",
  data: `{"index":${index}}`,
  metadata: undefined,
  schemaVersion: 1,
}));

describe("createPostgresArchive: faults", () => {
  it("rejects a write whose COMMIT reply is lost with ArchiveUnavailableError; the retried write stores every entry once", async () => {
    // Given: a proxy that, once armed, cuts the connection right after the server ran a COMMIT
    let armed = false;
    const proxy = await startTcpProxy({
      targetPort: Number(direct.port || 5432),
      targetHost: direct.hostname,
      onClientData: (chunk) => {
        if (!armed || !/commit/i.test(chunk.toString("latin1"))) return "forward";
        armed = false;
        return "drop-connection";
      },
    });
    const archive = createPostgresArchive({
      connectionString: throughProxy(proxy.port),
      table: "lost_commit",
    });
    await archive.lastPosition("order", 0); // creates the tables (a COMMIT of its own)
    armed = true;
    // When
    const error = await archive.write(entries).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await archive.write(entries);
    // Then
    expect(proxy.droppedReplies).toBe(1);
    expect(isArchiveUnavailableError(error), String(error)).toBe(true);
    expect(await sql`SELECT count(*)::int AS count FROM lost_commit`).toEqual([{ count: 100 }]);
    expect(await archive.readPartition("order", 0, { after: "0-0", limit: 1000 })).toEqual(entries);
    await archive.close();
    await proxy.close();
  });

  it("reconnects on the next call after its connections were cut", async () => {
    // Given
    const proxy = await startTcpProxy({
      targetPort: Number(direct.port || 5432),
      targetHost: direct.hostname,
    });
    const archive = createPostgresArchive({
      connectionString: throughProxy(proxy.port),
      table: "cut",
    });
    await archive.write(entries.slice(0, 50));
    // When
    proxy.cutAll();
    const afterCut = await archive.write(entries.slice(50)).then(
      () => "written",
      (caught: unknown) => (isArchiveUnavailableError(caught) ? "unavailable" : caught),
    );
    if (afterCut !== "written") await archive.write(entries.slice(50));
    // Then: at most the first call after the cut fails, typed; nothing is lost or doubled
    expect(["written", "unavailable"]).toContain(afterCut);
    expect(await archive.lastPosition("order", 0)).toBe("1700000000000-99");
    expect((await archive.stats())[0]?.events).toBe(100);
    expect(proxy.connections).toBeGreaterThan(1);
    await archive.close();
    await proxy.close();
  });
});
