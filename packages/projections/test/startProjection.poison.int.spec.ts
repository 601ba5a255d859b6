import { silentLogger } from "@streamstore/core";
import { beforeEach, describe, expect, it } from "vitest";
import {
  defineProjection,
  isCorruptCheckpointError,
  isDeadLetterNotFoundError,
  isProjectionHandlerError,
  type ProjectionRunner,
  startProjection,
} from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { bankEvents } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

let fixed = false;
const totals = (name: string) =>
  defineProjection(bankEvents, {
    name,
    version: 1,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: () => ({ total: 0, events: 0 }),
    handlers: {
      Deposited: (draft, event) => {
        if (event.data.amount === 13 && !fixed) throw new Error("13 is unlucky");
        draft.total += event.data.amount;
        draft.events++;
      },
    },
  });

describe.each(testBackends())("startProjection with failing handlers on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners } = keyspace;

  beforeEach(() => {
    fixed = false;
  });

  it("dead-letters a poison event after maxDeliveries, applies every other one, and applies it once when retried", async () => {
    // Given a handler that throws on one event, and a corrupt entry written by hand
    const { redis } = keyspace;
    const store = keyspace.store();
    for (let i = 1; i <= 30; i++) {
      await store.append(`account-${i % 3}`, [{ type: "Deposited", data: { amount: i } }]);
    }
    const logKey = store.keys.log("account", 0);
    await redis.xadd(
      logKey,
      "*",
      "a",
      "0",
      "v",
      "99",
      "i",
      "x",
      "t",
      "Deposited",
      "d",
      "{not json",
    );
    await store.append("account-0", [{ type: "Deposited", data: { amount: 100 } }]);

    // When the runner processes them
    const projection = totals("totals");
    const runner = startProjection(projection, {
      redis,
      store,
      maxDeliveries: 3,
      retryBackoffMs: 5,
      logger: silentLogger,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

    // Then the poison event and the corrupt entry are dead letters, everything else is applied
    const letters = await runner.deadLetters.list();
    expect(letters.map((letter) => [letter.reason, letter.attempts])).toEqual([
      ["handler", 3],
      ["corrupt", 1],
    ]);
    expect(letters[0]?.error).toContain("13 is unlucky");
    expect(JSON.parse(letters[0]?.entry ?? "{}").d).toBe('{"amount":13}');
    expect(await runner.get("account-1")).toEqual({ total: 132, events: 9 });
    expect(await runner.get("account-0")).toEqual({ total: 165 + 100, events: 11 });
    const status = await runner.status();
    expect(status.deadLetters).toBe(2);
    expect(status.partitions[0]?.lag).toBe(0);

    // When the handler is fixed and the dead letter retried (twice)
    fixed = true;
    const poison = letters[0]?.id as string;
    expect(await runner.deadLetters.retry(poison)).toEqual({ key: "account-1" });
    const second = await runner.deadLetters.retry(poison).catch((error: unknown) => error);

    // Then it is applied once, and the second retry finds nothing
    expect(isDeadLetterNotFoundError(second)).toBe(true);
    expect(await runner.get("account-1")).toEqual({ total: 145, events: 10 });
    await runner.deadLetters.discard(letters[1]?.id as string);
    expect(await runner.deadLetters.list()).toEqual([]);
  });

  it("stops the partition before the poison event when the policy is stop", async () => {
    // Given a poison event between two good ones
    const { redis } = keyspace;
    const store = keyspace.store();
    await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
    const poison = await store.append("account-1", [{ type: "Deposited", data: { amount: 13 } }]);
    await store.append("account-1", [{ type: "Deposited", data: { amount: 2 } }]);

    // When a runner with onHandlerFailure "stop" meets it
    const runner = startProjection(totals("stopping"), {
      redis,
      store,
      maxDeliveries: 2,
      retryBackoffMs: 5,
      onHandlerFailure: "stop",
      logger: silentLogger,
    });
    const error = await runner.done.catch((reason: unknown) => reason);

    // Then the runner failed with the entry, and the checkpoint stayed before it
    expect(isProjectionHandlerError(error)).toBe(true);
    expect(runner.state).toBe("failed");
    expect((error as { entryId: string }).entryId).toBe(poison.positions[0]);
    expect(await runner.get("account-1")).toEqual({ total: 1, events: 1 });
    const status = await runner.status();
    expect(status.partitions[0]?.state).toBe("failed");
    expect(status.partitions[0]?.lag).toBe(2);
  });

  it("stops the partition with a typed error, instead of looping, when its checkpoint was overwritten by hand", async () => {
    // Given a projection that caught up, then a checkpoint overwritten with garbage
    const { redis, prefix } = keyspace;
    const store = keyspace.store();
    const appended = await store.append("account-1", [{ type: "Deposited", data: { amount: 1 } }]);
    const first = startProjection(totals("checked"), { redis, store, logger: silentLogger });
    runners.push(first);
    await first.waitUntilCaughtUp(appended);
    await first.stop();
    const [checkpointsKey] = await redis.keys(`${prefix}:{rm:checked:*}:checkpoints`);
    expect(checkpointsKey).toBeDefined();
    const [field] = await redis.hkeys(checkpointsKey as string);
    await redis.hset(checkpointsKey as string, field as string, "garbage");

    // When a runner starts on it
    const runner = startProjection(totals("checked"), { redis, store, logger: silentLogger });
    runners.push(runner);
    const error = await runner.done.catch((reason: unknown) => reason);

    // Then it fails with the stored value named, and the read model is untouched
    expect(isCorruptCheckpointError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^\[streamstore\] a projection checkpoint reads "garbage"/,
    );
    expect(runner.state).toBe("failed");
    expect(await redis.hget(checkpointsKey as string, field as string)).toBe("garbage");
  });
});
