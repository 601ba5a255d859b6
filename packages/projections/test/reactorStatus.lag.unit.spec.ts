import { describe, expect, it } from "vitest";
import {
  reactorConsumerStatus,
  reactorPartitionStatus,
  summarizeReactor,
} from "../src/internal.js";

const where = { category: "account", partition: 0, group: "rx:mailer" };
const group = (fields: Record<string, unknown>) => new Map(Object.entries(fields));

describe("reactorPartitionStatus", () => {
  it("counts lag 0 when the group delivered the log's last entry, even when Redis cannot count", () => {
    // Given a group at the log's last id whose lag Redis reports as null
    const fields = group({ "last-delivered-id": "5-0", lag: null, pending: 2, consumers: 1 });
    // When its status is made
    const status = reactorPartitionStatus(where, fields, "5-0", [], 1000);
    // Then nothing is left to deliver
    expect(status).toMatchObject({ lag: 0, pending: 2, consumers: 1, lastActivityAt: null });
  });

  it("keeps an uncountable lag unknown when the group is behind, and takes the most recent consumer", () => {
    // Given a group behind the log's end, lag unknown, two consumers
    const fields = group({ "last-delivered-id": "3-0", lag: null, pending: 0, consumers: 2 });
    const consumers = [
      { name: "a", pending: 0, idleMs: 500 },
      { name: "b", pending: 0, idleMs: 100 },
    ];
    // When its status is made
    const status = reactorPartitionStatus(where, fields, "5-0", consumers, 10_000);
    // Then lag is null (unknown, not 0) and the last activity is the most recent one
    expect(status.lag).toBeNull();
    expect(status.lastActivityAt).toBe(9_900);
  });
});

describe("summarizeReactor", () => {
  it("merges consumers over partitions and is healthy only caught up everywhere without dead letters", () => {
    // Given two partitions caught up, one consumer seen on both
    const partitions = [0, 1].map((partition) =>
      reactorPartitionStatus(
        { ...where, partition },
        group({ "last-delivered-id": "1-0", lag: 0, pending: 1, consumers: 1 }),
        "1-0",
        [{ name: "w", pending: 1, idleMs: 10 * (partition + 1) }],
        1000,
      ),
    );
    const consumers = [
      [{ name: "w", pending: 1, idleMs: 10 }],
      [{ name: "w", pending: 1, idleMs: 20 }],
    ];
    const identity = { name: "mailer", source: ["account"], group: "rx:mailer" };
    // When summarized with and without dead letters
    const clean = summarizeReactor(identity, partitions, consumers, 0);
    const parked = summarizeReactor(identity, partitions, consumers, 1);
    // Then the consumer's pending entries add up, its smallest idle counts, and dead letters make it unhealthy
    expect(clean.consumers).toEqual([{ name: "w", pending: 2, idleMs: 10 }]);
    expect(clean.lastActivityAt).toBe(990);
    expect(clean.healthy).toBe(true);
    expect(parked.healthy).toBe(false);
  });
});

describe("reactorConsumerStatus", () => {
  it("takes the time since the consumer last got entries: inactive on Redis 7.2+, idle on 7.0", () => {
    // Given rows as Redis 7.0 and 7.2 write them (7.2's idle counts empty reads; -1: never got any)
    const row = (fields: Record<string, unknown>) =>
      reactorConsumerStatus(new Map(Object.entries({ name: "w", pending: 1, ...fields })));
    // When they are read, then the time since entries is kept
    expect(row({ idle: 700 })).toEqual({ name: "w", pending: 1, idleMs: 700 });
    expect(row({ idle: 20, inactive: 900 }).idleMs).toBe(900);
    expect(row({ idle: 20, inactive: -1 }).idleMs).toBe(20);
  });
});
