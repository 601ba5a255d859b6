import { ReplyError } from "ioredis";
import { describe, expect, it } from "vitest";
import { CLOCK_SLACK_MS, createNormalizer } from "./support/createNormalizer.js";

// The normaliser hides what Redis leaves unspecified between two runs. Each class it hides is
// checked here in pairs: a right reply from each side compares equal, and a wrong fake reply in
// that same class still compares different.

const NOW = 1_764_000_000_000;
const PREFIX = "diff:ab12:";
const FAKE_PREFIX = "diff:cd34:";

/** Normalises a Redis reply and a fake reply as a differential case does: one normaliser each. */
function sameAfterNormalising(redis: unknown, fake: unknown, fakeNow = NOW + 40): boolean {
  const normalizeRedis = createNormalizer({
    prefix: PREFIX,
    clock: { fromMs: NOW, toMs: NOW + 5 },
  });
  const normalizeFake = createNormalizer({
    prefix: FAKE_PREFIX,
    clock: { fromMs: fakeNow, toMs: fakeNow + 5 },
  });
  try {
    expect(normalizeFake(fake)).toStrictEqual(normalizeRedis(redis));
    return true;
  } catch {
    return false;
  }
}

const redisKey = (name: string) => `${PREFIX}${name}`;
const fakeKey = (name: string) => `${FAKE_PREFIX}${name}`;

describe("createNormalizer (differential test support)", () => {
  it("hides ids read from the clock, by order of appearance, and catches a changed relation", () => {
    const a = `${NOW + 1}-0`;
    const b = `${NOW + 1}-1`;
    const x = `${NOW + 41}-0`;
    const y = `${NOW + 42}-0`;
    expect(sameAfterNormalising([a, b, a], [x, y, x])).toBe(true);
    expect(sameAfterNormalising([a, b, a], [x, y, y])).toBe(false);
  });

  it("keeps explicit ids and the ids `*` derives from them, even with wall-clock-sized ms", () => {
    const redis = ["99999999999999-5", "99999999999999-6", "99999999999999-7"];
    expect(sameAfterNormalising(redis, [...redis])).toBe(true);
    // A fake that took the clock (or skipped a sequence number) after a future id is caught.
    expect(
      sameAfterNormalising(redis, ["99999999999999-5", `${NOW + 41}-0`, `${NOW + 42}-0`]),
    ).toBe(false);
    expect(
      sameAfterNormalising(redis, ["99999999999999-5", "99999999999999-7", "99999999999999-9"]),
    ).toBe(false);
    expect(sameAfterNormalising(["1700000000000-0"], ["1700000000001-0"])).toBe(false);
  });

  it("catches a `*` id generated from a wrong clock (seconds, or far off)", () => {
    expect(sameAfterNormalising([`${NOW + 1}-0`], [`${Math.trunc((NOW + 40) / 1000)}-0`])).toBe(
      false,
    );
    expect(sameAfterNormalising([`${NOW + 1}-0`], [`${NOW + 40 + 10 * CLOCK_SLACK_MS}-0`])).toBe(
      false,
    );
  });

  it("hides timestamps read from the clock and keeps any other integer", () => {
    expect(sameAfterNormalising(["seen-time", NOW + 2], ["seen-time", NOW + 43])).toBe(true);
    expect(sameAfterNormalising(["seen-time", NOW + 2], ["seen-time", 0])).toBe(false);
    expect(sameAfterNormalising(["seen-time", NOW + 2], ["seen-time", NOW - 3_600_000])).toBe(
      false,
    );
    expect(sameAfterNormalising(["entries-added", 3], ["entries-added", 4])).toBe(false);
  });

  it("hides a plausible idle time and keeps a negative or never-reset one", () => {
    expect(sameAfterNormalising(["idle", 3], ["idle", 7])).toBe(true);
    expect(sameAfterNormalising(["idle", 3], ["idle", -1])).toBe(false);
    expect(sameAfterNormalising(["idle", 3], ["idle", NOW])).toBe(false);
  });

  it("hides the radix-tree sizes only when they are non-negative integers", () => {
    expect(sameAfterNormalising(["radix-tree-keys", 1], ["radix-tree-keys", 2])).toBe(true);
    expect(sameAfterNormalising(["radix-tree-keys", 1], ["radix-tree-keys", -1])).toBe(false);
    expect(sameAfterNormalising(["radix-tree-nodes", 2], ["radix-tree-nodes", "2"])).toBe(false);
  });

  it("hides the run's key prefix and nothing else of a key", () => {
    expect(sameAfterNormalising([redisKey("s")], [fakeKey("s")])).toBe(true);
    expect(sameAfterNormalising([redisKey("s")], [fakeKey("t")])).toBe(false);
    expect(sameAfterNormalising([redisKey("s")], ["s"])).toBe(false);
  });

  it("compares errors by name, kind and message", () => {
    const normalize = createNormalizer({ prefix: PREFIX, clock: { fromMs: NOW, toMs: NOW } });
    const wrongType = new ReplyError("WRONGTYPE Operation against a key holding the wrong kind");
    expect(normalize(wrongType)).toStrictEqual(normalize(new ReplyError(wrongType.message)));
    expect(normalize(wrongType)).not.toStrictEqual(normalize(new ReplyError("ERR syntax error")));
    expect(normalize(wrongType)).not.toStrictEqual(normalize(new Error(wrongType.message)));
  });
});
