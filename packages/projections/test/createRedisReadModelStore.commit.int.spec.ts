import { describe, expect, it } from "vitest";
import { type CommitRequest, createRedisReadModelStore } from "../src/index.js";
import { projectionKeys } from "../src/internal.js";
import { testBackends } from "./support/backends.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

const request = (overrides: Partial<CommitRequest> = {}): CommitRequest => ({
  build: "v1",
  partition: "account:0",
  fenceToken: 1,
  expectedPosition: "0-0",
  position: "5-0",
  appliedDelta: 3,
  documents: [{ key: "account-1", expectedRevision: 0, state: { n: 1 } }],
  deadLetters: [],
  clearAttempts: [],
  ...overrides,
});

describe.each(testBackends())("createRedisReadModelStore on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);

  it("refuses a zombie's commit (stale fence token) and writes nothing", async () => {
    // Given a partition whose fence moved on to token 2 (another worker took the lease)
    const { redis, prefix } = keyspace;
    const store = createRedisReadModelStore({ redis, prefix, name: "p" });
    await redis.set(projectionKeys(prefix, "p").fence("v1", "account:0"), "2");

    // When the old owner commits with token 1
    const outcome = await store.commit(request({ fenceToken: 1 }));

    // Then it is fenced and nothing changed
    expect(outcome).toEqual({ status: "fenced", currentToken: 2 });
    expect(await store.loadDocuments("v1", ["account-1"])).toEqual([undefined]);
    expect((await store.readCheckpoints("v1")).size).toBe(0);
  });

  it("commits documents, checkpoint and dead letters together, and refuses stale checkpoints and revisions", async () => {
    // Given the current owner (token 1)
    const { redis, prefix } = keyspace;
    const store = createRedisReadModelStore({ redis, prefix, name: "p" });
    await redis.set(projectionKeys(prefix, "p").fence("v1", "account:0"), "1");
    await store.recordAttempt("v1", "account:0:4-0");
    const letter = {
      partition: "account:0",
      entryId: "4-0",
      reason: "handler" as const,
      attempts: 3,
      error: "Error: boom",
      type: "Deposited",
      entry: '{"t":"Deposited"}',
      at: 1,
    };

    // When a batch commits, then a replay of it and a batch built on an old revision try to
    const first = await store.commit(
      request({ deadLetters: [letter], clearAttempts: ["account:0:4-0"] }),
    );
    const replay = await store.commit(request());
    const staleRevision = await store.commit(request({ expectedPosition: "5-0", position: "6-0" }));

    // Then only the first took effect, with its dead letter, and the attempts were cleared
    expect([first, replay, staleRevision]).toEqual([
      { status: "ok" },
      { status: "checkpoint", actual: "5-0" },
      { status: "revision", staleKeys: ["account-1"] },
    ]);
    expect(await store.loadDocuments("v1", ["account-1"])).toEqual([
      { revision: 1, state: { n: 1 } },
    ]);
    expect((await store.readCheckpoints("v1")).get("account:0")).toEqual({
      position: "5-0",
      applied: 3,
    });
    const letters = await store.listDeadLetters("v1");
    expect(letters.map(({ id: _id, ...rest }) => rest)).toEqual([letter]);
    expect(await redis.hgetall(projectionKeys(prefix, "p").attempts("v1"))).toEqual({});
  });
});
