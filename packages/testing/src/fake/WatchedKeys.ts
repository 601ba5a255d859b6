import type { ConnectionState } from "./CommandContext.js";

/**
 * WATCH bookkeeping (Redis `multi.c`): which connections watch which key of which database; a
 * write to a watched key marks each watcher dirty, so its next EXEC fails.
 *
 * @example
 * ```ts
 * const watched = new WatchedKeys();
 * watched.watch(connection, ["k"]);
 * watched.keyModified(0, "k"); // connection.watchDirty === true
 * ```
 */
export class WatchedKeys {
  private readonly watchers = new Map<string, Set<ConnectionState>>();

  watch(connection: ConnectionState, keys: readonly string[]): void {
    for (const key of keys) {
      const slot = `${connection.db}\u0000${key}`;
      if (connection.watched.has(slot)) continue;
      connection.watched.add(slot);
      let set = this.watchers.get(slot);
      if (set === undefined) {
        set = new Set();
        this.watchers.set(slot, set);
      }
      set.add(connection);
    }
  }

  unwatch(connection: ConnectionState): void {
    for (const slot of connection.watched) {
      const set = this.watchers.get(slot);
      set?.delete(connection);
      if (set?.size === 0) this.watchers.delete(slot);
    }
    connection.watched.clear();
    connection.watchDirty = false;
  }

  keyModified(db: number, key: string): void {
    if (this.watchers.size === 0) return;
    const set = this.watchers.get(`${db}\u0000${key}`);
    if (set === undefined) return;
    for (const connection of set) connection.watchDirty = true;
  }
}
