import { openSnapshotState, sealSnapshotState } from "../personalData/snapshotSeal.js";
import { runFunction } from "../scripting/runFunction.js";
import { coreFunctionLibrary } from "./coreFunctionLibrary.js";
import type { Snapshot } from "./EventStore.js";
import type { StoreContext } from "./storeContext.js";

/**
 * `store.readSnapshot`: the stream's snapshot, or undefined when there is none, it is unreadable
 * (a snapshot is a cache: the stream is replayed), or its personal state can no longer be opened
 * (a subject was forgotten: the snapshot is deleted).
 *
 * @example
 * const snapshot = await readSnapshot(context, "account-1");
 */
export async function readSnapshot(
  context: StoreContext,
  streamName: string,
): Promise<Snapshot | undefined> {
  const location = await context.locator.locate(streamName);
  const stored = await context.redis.hget(location.snapshotKey, "doc");
  if (stored === null) return undefined;
  try {
    const parsed = JSON.parse(stored) as Snapshot;
    if (
      typeof parsed !== "object" ||
      parsed === null ||
      !Number.isSafeInteger(parsed.version) ||
      !Number.isSafeInteger(parsed.schemaVersion) ||
      typeof parsed.eventId !== "string"
    ) {
      return undefined;
    }
    if (parsed.dataSubjects === undefined) return parsed;
    // Personal state: opened with every subject's key; once one is forgotten, the snapshot is
    // deleted (discarded) and the stream replayed, its events then redacted.
    const state = await openSnapshotState(context.keyRing, streamName, parsed);
    if (state === undefined) {
      await context.redis.del(location.snapshotKey);
      return undefined;
    }
    return { ...parsed, state };
  } catch {
    // A snapshot is a cache: an unreadable one is ignored, and the stream is replayed.
    return undefined;
  }
}

/**
 * `store.writeSnapshot`: stores the snapshot (its personal state sealed with the subjects' keys)
 * unless a newer one is there; true when it was written.
 *
 * @example
 * const written = await writeSnapshot(context, "account-1", { version: 10, eventId, schemaVersion: 1, state });
 */
export async function writeSnapshot(
  context: StoreContext,
  streamName: string,
  snapshot: Snapshot,
): Promise<boolean> {
  const location = await context.locator.locate(streamName, true);
  const subjects = snapshot.dataSubjects ?? [];
  const document = JSON.stringify(
    subjects.length > 0
      ? {
          ...snapshot,
          state: sealSnapshotState(await context.keyRing.forWrite(subjects), streamName, snapshot),
        }
      : snapshot,
  );
  return (
    (await runFunction(
      context.redis,
      coreFunctionLibrary,
      coreFunctionLibrary.functions.snapshot,
      [location.snapshotKey],
      [snapshot.version, document],
    )) === 1
  );
}
