import type { RawStreamEntry } from "@streamstore/core";
import { describe, expect, it } from "vitest";
import { PageReadAhead } from "../src/runner/PageReadAhead.js";

// A log of entries "1-0" … "<n>-0", read two per page; each read is recorded, and answers only
// when the test releases it (as a reply comes back from Redis when it comes).
function slowLog(entries: number) {
  const sent: string[] = [];
  const pending: (() => void)[] = [];
  const read = (after: string) => {
    sent.push(after);
    const from = after === "0-0" ? 1 : Number(after.split("-")[0]) + 1;
    const page: RawStreamEntry[] = [];
    for (let n = from; n <= entries && page.length < 2; n++) page.push([`${n}-0`, ["n", `${n}`]]);
    return new Promise<RawStreamEntry[]>((resolve) => pending.push(() => resolve(page)));
  };
  const releaseAll = () => {
    for (const release of pending.splice(0)) release();
  };
  return { read, sent, releaseAll };
}

const ids = (page: RawStreamEntry[]) => page.map(([id]) => id);

describe("PageReadAhead", () => {
  it("sends the read of the next page when a page is taken, each read once and in order", async () => {
    // Given a log of 5 entries, read two per page, where replies come at once
    const log = slowLog(5);
    const arrived: string[][] = [];
    const pages = new PageReadAhead(log.read, "0-0", (page) => arrived.push(ids(page)));
    // When every page is taken, replies released as they are asked for
    const taken: string[][] = [];
    for (;;) {
      log.releaseAll();
      const page = await pages.take();
      if (page.length === 0) break;
      taken.push(ids(page));
    }
    // Then the pages came in log order, each read sent once: after the start and each page's end
    expect(taken).toEqual([["1-0", "2-0"], ["3-0", "4-0"], ["5-0"]]);
    expect(log.sent).toEqual(["0-0", "2-0", "4-0", "5-0"]);
    // (no commit travelled: nothing was read further ahead nor handed over)
    expect(arrived).toEqual([]);
  });

  it("while a commit travels, reads the page after the next one and hands the next one over", async () => {
    // Given the first page taken, and the read of the second one sent
    const log = slowLog(6);
    const arrived: string[][] = [];
    const pages = new PageReadAhead(log.read, "0-0", (page) => arrived.push(ids(page)));
    log.releaseAll();
    expect(ids(await pages.take())).toEqual(["1-0", "2-0"]);
    expect(log.sent).toEqual(["0-0", "2-0"]);
    // When a commit of the first page travels and the second page's reply comes
    const aside = pages.whileCommitting();
    log.releaseAll();
    await aside;
    // Then the third page's read is out already, and the second page was handed over once
    expect(log.sent).toEqual(["0-0", "2-0", "4-0"]);
    expect(arrived).toEqual([["3-0", "4-0"]]);
    // And a second commit of the same page (a batch split by a failure) changes nothing
    await pages.whileCommitting();
    expect(log.sent).toEqual(["0-0", "2-0", "4-0"]);
    expect(arrived).toEqual([["3-0", "4-0"]]);
    // And taking the second page uses that read instead of sending it again
    expect(ids(await pages.take())).toEqual(["3-0", "4-0"]);
    expect(log.sent).toEqual(["0-0", "2-0", "4-0"]);
    log.releaseAll();
    expect(ids(await pages.take())).toEqual(["5-0", "6-0"]);
    expect(log.sent).toEqual(["0-0", "2-0", "4-0", "6-0"]);
  });

  it("reads nothing more once closed", async () => {
    // Given a page taken and the next read out
    const log = slowLog(6);
    const arrived: string[][] = [];
    const pages = new PageReadAhead(log.read, "0-0", (page) => arrived.push(ids(page)));
    log.releaseAll();
    await pages.take();
    // When the catch-up ends while a commit travels
    const aside = pages.whileCommitting();
    pages.close();
    log.releaseAll();
    await aside;
    // Then no read went out after the close, and nothing was handed over
    expect(log.sent).toEqual(["0-0", "2-0"]);
    expect(arrived).toEqual([]);
  });

  it("fails the take, not the commit, when a read fails", async () => {
    // Given reads that fail
    const pages = new PageReadAhead(
      () => Promise.reject(new Error("connection lost")),
      "0-0",
      () => {},
    );
    // When a commit travels and then the page is taken
    // Then the commit's wait ends quietly, and the take rejects with the read's error
    await expect(pages.whileCommitting()).resolves.toBeUndefined();
    await expect(pages.take()).rejects.toThrow("connection lost");
  });
});
