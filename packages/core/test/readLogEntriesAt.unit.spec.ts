import { describe, expect, it } from "vitest";
import { entriesOfXread, xreadOfPositions } from "../src/store/readLogEntriesAt.js";

// The XREAD that fetches a large aggregate page's entries by position (issue 12): each position
// is asked for as "the first entry after the id just before it", and the reply counts only if
// every position answered its own entry; anything else sends the caller back to the atomic read.

const T = 1_700_000_000_000;
const entry = (id: string, version: number): [string, string[]] => [id, ["v", String(version)]];

describe("xreadOfPositions", () => {
  it("names the log once per position, each with the id just before it, COUNT 1", () => {
    // Given positions as the read script answers them (ms, seq pairs), seq 0 among them
    const positions = [T, 5, T + 1, 0, 12, 1];
    // When
    const xread = xreadOfPositions("ss:{acct:0}:log", positions);
    // Then the id before <ms>-0 is the last sequence of the millisecond before
    expect(xread?.ids).toEqual([`${T}-5`, `${T + 1}-0`, "12-1"]);
    expect(xread?.argv).toEqual([
      "COUNT",
      1,
      "STREAMS",
      "ss:{acct:0}:log",
      "ss:{acct:0}:log",
      "ss:{acct:0}:log",
      `${T}-4`,
      `${T}-18446744073709551615`,
      "12-0",
    ]);
  });

  it("gives up on 0-0, which no entry can have", () => {
    expect(xreadOfPositions("log", [T, 1, 0, 0])).toBeUndefined();
  });
});

describe("entriesOfXread", () => {
  const ids = [`${T}-4`, `${T}-9`];
  const first = entry(`${T}-4`, 1);
  const second = entry(`${T}-9`, 2);

  it("takes RESP2's [key, entries] pairs and RESP3's flat map, in the order of the positions", () => {
    expect(
      entriesOfXread(
        [
          ["log", [first]],
          ["log", [second]],
        ],
        ids,
      ),
    ).toEqual([first, second]);
    expect(entriesOfXread(["log", [first], "log", [second]], ids)).toEqual([first, second]);
  });

  it("answers undefined unless every position answered its own entry", () => {
    // a position the log no longer holds answers the next entry
    const next = entry(`${T}-10`, 3);
    expect(entriesOfXread(["log", [first], "log", [next]], ids)).toBeUndefined();
    expect(
      entriesOfXread(
        [
          ["log", [next]],
          ["log", [second]],
        ],
        ids,
      ),
    ).toBeUndefined();
    // or, at the end of the log, nothing: the stream is left out of the reply
    expect(entriesOfXread(["log", [first]], ids)).toBeUndefined();
    expect(entriesOfXread([["log", [first]]], ids)).toBeUndefined();
    // nothing at all (a deleted log) is a null reply
    expect(entriesOfXread(null, ids)).toBeUndefined();
    // and a reply of another shape is never taken for entries
    expect(entriesOfXread(["log", first, "log", second], ids)).toBeUndefined();
    expect(entriesOfXread([["log"], ["log"]], ids)).toBeUndefined();
    expect(entriesOfXread(["log", [[`${T}-4`, null]], "log", [second]], ids)).toBeUndefined();
  });
});
