import type { RawStreamEntry } from "@streamstore/core";
import { sleep } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { pairs, sendCommand } from "../runner/redisCommands.js";
import { duplicateForBlocking, readBlocking, watchEnd } from "./blockingConnection.js";
import { type AutoClaimPage, autoClaimPage, entriesOfRead } from "./replies.js";

/**
 * Options of a {@link ConsumerGroupReader}.
 *
 * @example
 * new ConsumerGroupReader({ redis, logKey, group: "rx:mailer", consumer: workerId, connectionName, signal });
 */
export interface ConsumerGroupReaderOptions {
  /** The caller's client: every command but the blocking read goes through it. */
  redis: Redis | Cluster;
  /** The one stream (a partition log) this reader reads. */
  logKey: string;
  group: string;
  /** This reader's consumer name in the group. */
  consumer: string;
  /** CLIENT SETNAME of the blocking connection (characters outside `A-Za-z0-9_.:-` become `_`). */
  connectionName: string;
  /** Aborted: waiting for the blocking connection ends (reads return nothing). */
  signal: AbortSignal;
  /** Called every 20 ms while a read waits for its blocking connection to be ready. */
  onConnectionWait?: () => void;
}

/**
 * One consumer of one consumer group on one stream: the group's creation, blocking reads of new
 * entries on a connection of its own, claims of idle pending entries, acks. It reads ONE stream,
 * so on a Redis Cluster every command has one key and is routed to that key's primary. Used by
 * the projection runner (per owned partition) and by reactors (per source partition).
 *
 * @example
 * const reader = new ConsumerGroupReader({ redis, logKey, group, consumer, connectionName, signal });
 * await reader.createGroup("0");
 * const entries = await reader.readNew(100, 1000);
 * await reader.ack(entries.map(([id]) => id));
 */
export class ConsumerGroupReader {
  private blocking: Redis | undefined;
  private blockingEnded: () => boolean = () => false;
  private readonly acking = new Set<Promise<void>>();

  constructor(private readonly options: ConsumerGroupReaderOptions) {}

  get logKey(): string {
    return this.options.logKey;
  }

  /** Creates the group (and the stream) at `startId` (`"$"`: the end); an existing group is kept. */
  async createGroup(startId: string): Promise<void> {
    const { redis, logKey, group } = this.options;
    try {
      await sendCommand(redis, "xgroup", "CREATE", logKey, group, startId, "MKSTREAM");
    } catch (error) {
      if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
    }
  }

  /** Moves the group's last-delivered position (XGROUP SETID). */
  async setPosition(id: string): Promise<void> {
    const { redis, logKey, group } = this.options;
    await sendCommand(redis, "xgroup", "SETID", logKey, group, id);
  }

  /**
   * Creates this consumer before its first read (a blocked XREADGROUP creates none until
   * something arrives), so status shows who reads. Best effort.
   */
  async createConsumer(): Promise<void> {
    const { redis, logKey, group, consumer } = this.options;
    await sendCommand(redis, "xgroup", "CREATECONSUMER", logKey, group, consumer).catch(() => 0);
  }

  /** Removes the group's other consumers that hold no pending entry (former readers). */
  async removeIdleConsumers(): Promise<void> {
    const { redis, logKey, group, consumer } = this.options;
    const consumers = (await sendCommand(redis, "xinfo", "CONSUMERS", logKey, group)) as unknown[];
    for (const info of consumers) {
      const fields = pairs(info);
      const name = String(fields.get("name"));
      if (name !== consumer && Number(fields.get("pending")) === 0) {
        await sendCommand(redis, "xgroup", "DELCONSUMER", logKey, group, name);
      }
    }
  }

  /** Claims (ids only) up to `count` entries pending for at least `minIdleMs`, from `cursor`. */
  async claimIdleIds(
    minIdleMs: number,
    cursor: string,
    count: number,
  ): Promise<AutoClaimPage<string>> {
    return autoClaimPage<string>(await this.autoClaim(minIdleMs, cursor, count, "JUSTID"));
  }

  /** Claims (with their fields) up to `count` entries pending for at least `minIdleMs`. */
  async claimIdleEntries(
    minIdleMs: number,
    cursor: string,
    count: number,
  ): Promise<AutoClaimPage<RawStreamEntry>> {
    return autoClaimPage<RawStreamEntry>(await this.autoClaim(minIdleMs, cursor, count));
  }

  private autoClaim(minIdleMs: number, cursor: string, count: number, ...flags: string[]) {
    const { redis, logKey, group, consumer } = this.options;
    return sendCommand(
      redis,
      "xautoclaim",
      logKey,
      group,
      consumer,
      minIdleMs,
      cursor,
      "COUNT",
      count,
      ...flags,
    );
  }

  /** Acks entries, 1,000 ids per command. */
  async ack(ids: readonly string[]): Promise<void> {
    const { redis, logKey, group } = this.options;
    for (let i = 0; i < ids.length; i += 1000) {
      await sendCommand(redis, "xack", logKey, group, ...ids.slice(i, i + 1000));
    }
  }

  /**
   * Acks entries without waiting for the reply, so that the next read goes out now, not a round
   * trip later. Only for entries whose outcome is already committed: an ack lost with its
   * connection leaves them pending, and the next claim of the group's pending entries acks them.
   * {@link acksSettled} waits for the acks in flight.
   */
  ackInBackground(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const sent: Promise<void> = this.ack(ids)
      .catch(() => {})
      .finally(() => this.acking.delete(sent));
    this.acking.add(sent);
  }

  /** Resolves once every ack sent by {@link ackInBackground} has its reply, or failed. */
  async acksSettled(): Promise<void> {
    await Promise.all(this.acking);
  }

  /**
   * Waits until the blocking connection is ready (making a new one if it ended). False once the
   * signal is aborted.
   */
  async connected(): Promise<boolean> {
    const { signal, onConnectionWait } = this.options;
    for (;;) {
      if (this.blocking === undefined) {
        this.blocking = duplicateForBlocking(this.options.redis, this.options.connectionName);
        this.blockingEnded = watchEnd(this.blocking);
      }
      const status = (this.blocking as { status?: string }).status;
      // The in-memory fake has no status: always ready.
      if (signal.aborted || status === undefined || status === "ready") return !signal.aborted;
      onConnectionWait?.();
      if (this.blockingEnded()) this.close();
      else await sleep(20, signal);
    }
  }

  /** Up to `count` new entries (never delivered to the group), waiting up to `blockMs` for some. */
  async readNew(count: number, blockMs: number): Promise<RawStreamEntry[]> {
    if (!(await this.connected())) return [];
    const { group, consumer, logKey } = this.options;
    const reply = await readBlocking(
      this.blocking as Redis,
      "GROUP",
      group,
      consumer,
      "COUNT",
      count,
      "BLOCK",
      blockMs,
      "STREAMS",
      logKey,
      ">",
    );
    return entriesOfRead(reply);
  }

  /** Closes the blocking connection (a read in flight is rejected); the next read makes a new one. */
  close(): void {
    this.blocking?.disconnect();
    this.blocking = undefined;
  }
}
