import type { BlockRequest } from "./CommandContext.js";
import { serveStreamRead } from "./commands/streamCommands.js";
import type { Database } from "./Database.js";
import type { FakeRedisServer, ReplyCallback, ServerConnection } from "./FakeRedisServer.js";
import { type CommandReply, ProtocolReply, replyError } from "./replyError.js";
import { SortedIdMap } from "./SortedIdMap.js";

/** What the blocked readers need from the server: delivering replies, running commands, contexts. */
export type BlockingHost = Pick<FakeRedisServer, "deliver" | "runTopLevel" | "context">;

/**
 * The clients blocked on stream keys (XREAD/XREADGROUP BLOCK) and the keys that became ready
 * for them: served after the command that readied them, in the order they blocked
 * (`handleClientsBlockedOnKeys` + `serveClientsBlockedOnStreamKey` of Redis 7.0).
 *
 * @example
 * ```ts
 * const readers = new BlockedReaders(server);
 * ```
 */
export class BlockedReaders {
  private readonly blockedByKey = new Map<string, Set<ServerConnection>>();
  private readyKeys: { db: Database; key: string }[] = [];
  private readonly readyKeySet = new Set<string>();

  constructor(private readonly server: BlockingHost) {}

  /** Notes that `key` may serve blocked readers, once the current command is done. */
  keyReady(db: Database, key: string): void {
    const slot = `${db.index}\u0000${key}`;
    if (!this.blockedByKey.has(slot) || this.readyKeySet.has(slot)) return;
    this.readyKeySet.add(slot);
    this.readyKeys.push({ db, key });
  }

  block(connection: ServerConnection, request: BlockRequest, done: ReplyCallback): void {
    connection.blocked = { request, done };
    for (const key of request.keys) {
      const slot = `${connection.db}\u0000${key}`;
      let set = this.blockedByKey.get(slot);
      if (set === undefined) {
        set = new Set();
        this.blockedByKey.set(slot, set);
      }
      set.add(connection);
    }
    if (request.timeoutMs > 0) {
      connection.blocked.timer = setTimeout(() => {
        if (connection.blocked?.request === request) this.unblock(connection, null);
      }, request.timeoutMs);
    }
  }

  removeBlocked(connection: ServerConnection): void {
    const blocked = connection.blocked;
    if (blocked === undefined) return;
    if (blocked.timer !== undefined) clearTimeout(blocked.timer);
    for (const key of blocked.request.keys) {
      const slot = `${connection.db}\u0000${key}`;
      const set = this.blockedByKey.get(slot);
      set?.delete(connection);
      if (set?.size === 0) this.blockedByKey.delete(slot);
    }
    connection.blocked = undefined;
  }

  unblock(connection: ServerConnection, reply: CommandReply): void {
    const blocked = connection.blocked;
    if (blocked === undefined) return;
    this.removeBlocked(connection);
    // A woken reader's reply goes out on a later turn, so the writer that woke it sees its own
    // reply first (Redis serves blocked clients after the command that signalled the key).
    this.server.deliver(blocked.done, reply, true);
    // Commands the client pipelined behind the blocking call run now, in order.
    while (connection.blocked === undefined && connection.backlog.length > 0) {
      const item = connection.backlog.shift() as { argv: string[]; done: ReplyCallback };
      this.server.runTopLevel(connection, item.argv, item.done);
    }
    this.handleReadyKeys();
  }

  /** `handleClientsBlockedOnKeys` + `serveClientsBlockedOnStreamKey` of Redis 7.0. */
  handleReadyKeys(): void {
    while (this.readyKeys.length > 0) {
      const batch = this.readyKeys;
      this.readyKeys = [];
      for (const { db, key } of batch) {
        const slot = `${db.index}\u0000${key}`;
        this.readyKeySet.delete(slot);
        const clients = this.blockedByKey.get(slot);
        if (clients === undefined) continue;
        for (const connection of [...clients]) {
          if (connection.blocked === undefined) continue;
          this.serveBlocked(connection, db, key);
        }
      }
    }
  }

  private serveBlocked(connection: ServerConnection, db: Database, key: string): void {
    const blocked = connection.blocked;
    if (blocked === undefined) return;
    const request = blocked.request;
    const ctx = this.server.context(connection, true, false);
    const entry = db.get(key, ctx.now);
    if (entry === undefined || entry.type !== "stream") {
      if (request.group !== undefined) {
        this.unblock(connection, replyError("UNBLOCKED the stream key no longer exists"));
      }
      return;
    }
    const stream = entry.value;
    const keyIndex = request.keys.indexOf(key);
    let after = request.ids[keyIndex] ?? 0n;
    let groupInfo: Parameters<typeof serveStreamRead>[4];
    if (request.group !== undefined) {
      const group = stream.groups.get(request.group.name);
      if (group === undefined) {
        this.unblock(
          connection,
          replyError("NOGROUP the consumer group this client was blocked on no longer exists"),
        );
        return;
      }
      after = group.lastId;
      request.ids[keyIndex] = after;
      if (!(stream.lastId > after)) return;
      let consumer = group.consumers.get(request.group.consumer);
      if (consumer === undefined) {
        consumer = { name: request.group.consumer, seenTime: ctx.now, pending: new SortedIdMap() };
        group.consumers.set(consumer.name, consumer);
      } else {
        consumer.seenTime = ctx.now;
      }
      groupInfo = { group, consumer, noack: request.group.noack, history: false };
    } else if (!(stream.lastId > after)) {
      return;
    }
    const entries = serveStreamRead(ctx, stream, after, request.count, groupInfo);
    this.unblock(connection, new ProtocolReply([[key, entries]], [key, entries]));
  }
}
