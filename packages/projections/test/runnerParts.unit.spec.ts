import { isInvalidArgumentError } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { buildVerdict, rebuildToStart } from "../src/runner/buildSwitch.js";
import { assignedFields, type SourcePartition } from "../src/runner/partitionAssignment.js";
import {
  assertPrefixAgrees,
  assertReadModelOf,
  resolveRunnerOptions,
} from "../src/runner/resolveRunnerOptions.js";
import { dueForDeletion, hasLiveMember } from "../src/runner/retiredBuilds.js";
import { firstBehind } from "../src/runner/waitUntilCaughtUp.js";

const partitionsOf = (category: string, count: number): SourcePartition[] =>
  Array.from({ length: count }, (_, partition) => ({
    category,
    partition,
    field: `${category}:${partition}`,
  }));

describe("assignedFields", () => {
  it("gives every partition exactly one owner among the members, counts differing by one at most", () => {
    // Given 7 partitions over two categories and three members
    const partitions = [...partitionsOf("account", 4), ...partitionsOf("cart", 3)];
    const members = ["w-a", "w-b", "w-c"];
    // When each member works out its own share
    const shares = members.map((member) => assignedFields(partitions, members, member));
    // Then the shares are disjoint, cover every partition, and are balanced
    const all = shares.flatMap((share) => [...share]);
    expect(all.sort()).toEqual(partitions.map((p) => p.field).sort());
    expect(shares.map((share) => share.size)).toEqual([3, 2, 2]);
    expect([...(shares[1] as Set<string>)]).toEqual(["account:1", "cart:0"]);
  });

  it("gives nothing to a worker that is not a member (yet), and everything to a lone member", () => {
    const partitions = partitionsOf("account", 3);
    expect(assignedFields(partitions, ["w-a", "w-b"], "w-z").size).toBe(0);
    expect(assignedFields(partitions, [], "w-a").size).toBe(0);
    expect([...assignedFields(partitions, ["w-a"], "w-a")]).toEqual([
      "account:0",
      "account:1",
      "account:2",
    ]);
  });
});

describe("firstBehind", () => {
  it("names the first partition whose checkpoint is below its target, a missing checkpoint being 0-0", () => {
    const targets = new Map([
      ["account:0", "5-0"],
      ["account:1", "9-0"],
      ["account:2", "1-0"],
    ]);
    const checkpoints = new Map([
      ["account:0", { position: "5-0" }],
      ["account:1", { position: "8-3" }],
    ]);
    expect(firstBehind(targets, checkpoints)).toEqual({
      field: "account:1",
      target: "9-0",
      at: "8-3",
    });
    checkpoints.set("account:1", { position: "10-0" });
    expect(firstBehind(targets, checkpoints)).toEqual({
      field: "account:2",
      target: "1-0",
      at: "0-0",
    });
  });

  it("answers undefined once every target is reached, comparing ids numerically", () => {
    const targets = new Map([["account:0", "9-0"]]);
    expect(firstBehind(targets, new Map([["account:0", { position: "10-0" }]]))).toBeUndefined();
    expect(firstBehind(new Map([["account:0", "0-0"]]), new Map())).toBeUndefined();
  });
});

describe("buildVerdict and rebuildToStart", () => {
  it("serves while its build is active, none is, or an older one is", () => {
    expect(buildVerdict("v1", null)).toBe("serve");
    expect(buildVerdict("v1", "v1")).toBe("serve");
    expect(buildVerdict("v2", "v1")).toBe("serve");
    expect(buildVerdict("v1.2", "v1.1")).toBe("serve");
  });

  it("stops when a newer build is active, telling a rebuild of its version from a new version", () => {
    expect(buildVerdict("v1", "v1.1")).toBe("replaced-by-rebuild");
    expect(buildVerdict("v1.1", "v2")).toBe("replaced");
    expect(buildVerdict("v9", "v10")).toBe("replaced");
  });

  it("starts a requested rebuild only when it is newer than the build and of the same version", () => {
    expect(rebuildToStart("v1", 1, 2)).toBe(2);
    expect(rebuildToStart("v1.2", 1, 2)).toBeUndefined();
    expect(rebuildToStart("v1", 1, 0)).toBeUndefined();
    expect(rebuildToStart("v1", 2, 3)).toBeUndefined();
  });
});

describe("dueForDeletion and hasLiveMember", () => {
  it("deletes retired builds whose grace is over, never the own build nor a field that is not a build id", () => {
    const retired = { v1: "1000", "v1.1": "5000", v2: "9000", v3: "0", "*": "0", "v1}*": "0" };
    expect(dueForDeletion(retired, "v3", 5000).sort()).toEqual(["v1", "v1.1"]);
    expect(dueForDeletion(retired, "v3", 999)).toEqual([]);
  });

  it("sees a membership as live while one expiry is ahead of the server clock", () => {
    expect(hasLiveMember({ "w-a": "4000", "w-b": "6000" }, 5000)).toBe(true);
    expect(hasLiveMember({ "w-a": "4000", "w-b": "5000" }, 5000)).toBe(false);
    expect(hasLiveMember({}, 5000)).toBe(false);
  });
});

describe("resolveRunnerOptions", () => {
  const redis = {} as never;

  it("fills in the defaults and keeps what is given", () => {
    const options = resolveRunnerOptions({ redis, batchSize: 50, heartbeatMs: undefined });
    expect(options.batchSize).toBe(50);
    expect(options.heartbeatMs).toBeGreaterThan(0);
  });

  it.each([
    [{ heartbeatMs: -1 }, "heartbeatMs"],
    [{ blockMs: Number.NaN }, "blockMs"],
    [{ leaseTtlMs: 100, blockMs: 50, leaseMarginMs: 25, heartbeatMs: 25 }, "leaseTtlMs"],
    [{ maxDeliveries: 0 }, "maxDeliveries"],
    [{ batchSize: 1.5 }, "batchSize"],
    [{ archive: {} as never }, "archive"],
  ])("rejects %j with a typed error naming %s", (bad, name) => {
    let caught: unknown;
    try {
      resolveRunnerOptions({ redis, ...bad });
    } catch (error) {
      caught = error;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
    expect(String((caught as Error).message)).toContain(name);
  });
});

describe("assertReadModelOf", () => {
  const model = (name: string, prefix?: string) =>
    ({ kind: "redis", name, ...(prefix === undefined ? {} : { prefix }) }) as never;

  it("accepts no read model, and the projection's own (a custom store may give no prefix)", () => {
    // Given / When / Then none of these throws
    assertReadModelOf(undefined, "balances", "shop");
    assertReadModelOf(model("balances", "shop"), "balances", "shop");
    assertReadModelOf(model("balances"), "balances", "shop");
  });

  it.each([
    [model("totals", "shop"), 'named "totals", the projection "balances"'],
    [model("balances", "other"), 'prefix is "other", the runner\'s "shop"'],
  ])(
    "refuses a read model of another projection or prefix with a typed error (%#)",
    (bad, says) => {
      // Given a read model that is not the projection's / When it is checked
      let caught: unknown;
      try {
        assertReadModelOf(bad, "balances", "shop");
      } catch (error) {
        caught = error;
      }
      // Then the error is typed and says what differs
      expect(isInvalidArgumentError(caught)).toBe(true);
      expect(String((caught as Error).message)).toContain(says);
    },
  );
});

describe("assertPrefixAgrees", () => {
  it("accepts either alone, or both equal, and refuses them different", () => {
    // Given / When / Then
    const store = { keys: { prefix: "shop" } };
    assertPrefixAgrees(undefined, "shop");
    assertPrefixAgrees(store, undefined);
    assertPrefixAgrees(store, "shop");
    expect(() => assertPrefixAgrees(store, "other")).toThrow(
      /prefix: "other" differs from the store's prefix "shop"/,
    );
  });
});
