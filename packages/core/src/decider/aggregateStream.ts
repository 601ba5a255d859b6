import type { EventCatalog, EventOf } from "../events/defineEvents.js";
import type { EventStore } from "../store/EventStore.js";
import type { Decider } from "./Decider.js";
import { evolveAll } from "./evolveAll.js";

/** The state of a stream, folded from its events (and snapshot). */
export interface AggregateState<StateType> {
  state: StateType;
  /** The version the state includes: the expected version of the next append. */
  version: number;
  /** Id of the event at `version` (undefined for version 0). */
  lastEventId: string | undefined;
  /** Whether loading started from a snapshot. */
  fromSnapshot: boolean;
  /**
   * The data subjects of the personal fields folded into `state` (docs/personal-data.md): a
   * snapshot of it is encrypted under their keys. Absent when there are none.
   */
  dataSubjects?: readonly string[];
}

/** Options of {@link aggregateStream}. */
export interface AggregateStreamOptions<StateType> {
  /** Continue from this already-folded state instead of loading from scratch (catch-up after a conflict). */
  from?: AggregateState<StateType>;
}

/**
 * Loads a stream's state: from the latest valid snapshot when the decider has a snapshot policy
 * (one of another schema version, or that fails its schema, or whose event is no longer at its
 * version, is ignored), then folds the remaining events.
 *
 * @example
 * const { state, version } = await aggregateStream(store, "account-1", account);
 */
export async function aggregateStream<Catalog extends EventCatalog, StateType, CommandType>(
  store: EventStore<Catalog>,
  streamName: string,
  decider: Decider<StateType, CommandType, EventOf<Catalog>>,
  options: AggregateStreamOptions<StateType> = {},
): Promise<AggregateState<StateType>> {
  let start: AggregateState<StateType> = options.from ?? {
    state: decider.initialState(),
    version: 0,
    lastEventId: undefined,
    fromSnapshot: false,
  };
  let verifyFirst = false;
  if (!options.from && decider.snapshot) {
    const snapshot = await store.readSnapshot(streamName);
    if (
      snapshot &&
      snapshot.schemaVersion === decider.snapshot.schemaVersion &&
      snapshot.version > 0
    ) {
      const parsed = decider.snapshot.schema
        ? decider.snapshot.schema.safeParse(snapshot.state)
        : undefined;
      if (!parsed || parsed.success) {
        start = {
          state: (parsed?.success ? parsed.data : snapshot.state) as StateType,
          version: snapshot.version,
          lastEventId: snapshot.eventId,
          fromSnapshot: true,
          ...(snapshot.dataSubjects ? { dataSubjects: snapshot.dataSubjects } : {}),
        };
        verifyFirst = true;
      }
    }
  }
  let { state, version, lastEventId } = start;
  const subjects = new Set(start.dataSubjects);
  // A snapshot is trusted only if its own event is still at its version: read from there, check.
  const readFrom = verifyFirst ? version : version + 1;
  let first = verifyFirst;
  for await (const event of store.read(streamName, { from: readFrom })) {
    if (first) {
      first = false;
      if (event.id !== lastEventId) {
        return aggregateStream(store, streamName, { ...decider, snapshot: undefined });
      }
      continue;
    }
    state = evolveAll(decider, state, [event]);
    for (const subject of event.dataSubjects ?? []) subjects.add(subject);
    version = event.version;
    lastEventId = event.id;
  }
  if (first) return aggregateStream(store, streamName, { ...decider, snapshot: undefined });
  return {
    state,
    version,
    lastEventId,
    fromSnapshot: start.fromSnapshot,
    ...(subjects.size > 0 ? { dataSubjects: [...subjects].sort() } : {}),
  };
}
