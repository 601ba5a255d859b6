import type { Snapshot } from "../store/EventStore.js";
import { type DataKey, openValue, sealValue } from "./envelope.js";
import type { KeyRing } from "./KeyRing.js";

// A snapshot's state is bound to its stream and event: it cannot be moved to another stream.
const bindingOf = (streamName: string, snapshot: Snapshot, subject: string) => ({
  eventId: snapshot.eventId,
  eventType: "$snapshot",
  field: streamName,
  subject,
});

/**
 * Encrypts a snapshot's state under every subject's key, one envelope inside the other: opening
 * it needs all of them, so forgetting any one subject makes the snapshot unreadable for good.
 *
 * @example
 * const sealed = sealSnapshotState(await keyRing.forWrite(["c-1"]), "customer-c-1", { ...snapshot, dataSubjects: ["c-1"] });
 */
export function sealSnapshotState(
  keys: ReadonlyMap<string, DataKey>,
  streamName: string,
  snapshot: Snapshot,
): string {
  let sealed: unknown = snapshot.state;
  for (const subject of snapshot.dataSubjects ?? []) {
    const key = keys.get(subject);
    if (!key) throw new Error(`no key for data subject "${subject}"`);
    sealed = sealValue(key, bindingOf(streamName, snapshot, subject), sealed);
  }
  return sealed as string;
}

/** The state of a sealed snapshot, or undefined once one of its subjects is forgotten. */
export async function openSnapshotState(
  keyRing: KeyRing,
  streamName: string,
  snapshot: Snapshot,
): Promise<unknown> {
  const subjects = snapshot.dataSubjects ?? [];
  await keyRing.load(subjects);
  let state: unknown = snapshot.state;
  for (let i = subjects.length - 1; i >= 0; i--) {
    const subject = subjects[i] as string;
    const key = keyRing.keyFor(subject);
    if (key === null) return undefined;
    state = openValue(key, bindingOf(streamName, snapshot, subject), state as string);
  }
  return state;
}
