import type { RawStreamEntry } from "@streamstore/core";

/** Reads up to a page of a partition log after a position (exclusive); empty: nothing follows. */
export type ReadPage = (after: string) => Promise<RawStreamEntry[]>;

const lastIdOf = (page: readonly RawStreamEntry[]) => (page[page.length - 1] as RawStreamEntry)[0];

/**
 * The pages of a catch-up, read ahead of the commits so that Redis I/O overlaps handler CPU:
 * taking a page sends the read of the one after it, and while a commit travels
 * ({@link whileCommitting}), that next page, once here, has the read after it sent too and is
 * handed to `onArrived` (to be decoded). Each read is sent once, in log order.
 *
 * @example
 * const pages = new PageReadAhead((after) => readPartitionAfter(...), checkpoint, (page) => committer.prepare(page));
 * for (let page = await pages.take(); page.length > 0; page = await pages.take()) await apply(page);
 * pages.close();
 */
export class PageReadAhead {
  private next: Promise<RawStreamEntry[]>;
  private ahead: { after: string; read: Promise<RawStreamEntry[]> } | undefined;
  private closed = false;

  constructor(
    private readonly read: ReadPage,
    after: string,
    private readonly onArrived: (page: RawStreamEntry[]) => void,
  ) {
    this.next = this.send(after);
  }

  private send(after: string): Promise<RawStreamEntry[]> {
    const read = this.read(after);
    // Awaited by take (a failed read fails the catch-up there), or never, once closed.
    read.catch(() => {});
    return read;
  }

  /** The next page (empty: nothing follows yet); the read of the one after it goes out at once. */
  async take(): Promise<RawStreamEntry[]> {
    const page = await this.next;
    if (page.length > 0 && !this.closed) {
      const lastId = lastIdOf(page);
      this.next = this.ahead?.after === lastId ? this.ahead.read : this.send(lastId);
    }
    this.ahead = undefined;
    return page;
  }

  /**
   * For a commit on its way: resolves once the next page is here, after sending the read of the
   * page after it and handing it to `onArrived` (at most once per page).
   */
  whileCommitting(): Promise<void> {
    return this.next.then(
      (page) => {
        if (this.closed || page.length === 0) return;
        const lastId = lastIdOf(page);
        if (this.ahead?.after === lastId) return;
        this.ahead = { after: lastId, read: this.send(lastId) };
        this.onArrived(page);
      },
      () => {},
    );
  }

  /** Ends the catch-up: nothing more is read ahead. */
  close(): void {
    this.closed = true;
    this.ahead = undefined;
  }
}
