import { describe, expect, it } from "vitest";
import { compareStreamIds, streamIdMillis } from "../src/store/streamIds.js";

// What decodeEntry did before streamIdMillis: the oracle the one-pass parser must agree with.
const POSITION = /^[0-9]{1,20}-[0-9]{1,20}$/;
const oracle = (id: string) => (POSITION.test(id) ? Number(id.slice(0, id.indexOf("-"))) : -1);

describe("streamIdMillis", () => {
  it("reads the milliseconds of a stream id", () => {
    expect(streamIdMillis("1700000000000-4")).toBe(1_700_000_000_000);
    expect(streamIdMillis("0-1")).toBe(0);
    expect(streamIdMillis("8640000000000000-0")).toBe(8.64e15);
    expect(streamIdMillis(`${"9".repeat(20)}-${"9".repeat(20)}`)).toBe(Number("9".repeat(20)));
  });

  it.each([
    "",
    "-",
    "-1",
    "1-",
    "1",
    "1--1",
    "1-1-1",
    "a-1",
    "1-a",
    " 1-1",
    "1-1 ",
    "+1-1",
    "1.5-1",
    "１-1",
    `${"1".repeat(21)}-1`,
    `1-${"1".repeat(21)}`,
  ])("answers -1 for %j, which is not a stream id", (id) => {
    expect(streamIdMillis(id)).toBe(-1);
  });

  it("agrees with the regular expression and Number on random ids and near misses", () => {
    const alphabet = "0123456789-0123456789x";
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let n = 0; n < 20_000; n++) {
      const length = next() % 25;
      let id = "";
      for (let i = 0; i < length; i++) id += alphabet[next() % alphabet.length];
      expect(streamIdMillis(id), id).toBe(oracle(id));
    }
    for (let n = 0; n < 2_000; n++) {
      const id = `${next() * 1000 + (next() % 1000)}-${next() % 100}`;
      expect(streamIdMillis(id), id).toBe(oracle(id));
    }
  });
});

describe("compareStreamIds", () => {
  it("compares numerically, not as text", () => {
    expect(compareStreamIds("9-0", "10-0")).toBeLessThan(0);
    expect(compareStreamIds("10-2", "10-10")).toBeLessThan(0);
    expect(compareStreamIds("10-10", "10-10")).toBe(0);
    expect(compareStreamIds("11-0", "10-99")).toBeGreaterThan(0);
  });
});
