/**
 * Metadata stored with every event: correlation and causation ids for tracing a flow across
 * commands, plus free-form user fields (kept as JSON).
 */
export interface EventMetadata {
  /** The id shared by every event caused, directly or not, by one original request. */
  correlationId?: string;
  /** The id of the command or event that caused this event. */
  causationId?: string;
  [field: string]: unknown;
}

/** The shape of any event: a type name and its payload. */
export interface AnyEvent {
  type: string;
  data: unknown;
}

/**
 * An event to append: its type and payload, optionally a caller-chosen id (makes retries
 * idempotent across processes) and metadata.
 */
export type NewEvent<Event extends AnyEvent = AnyEvent> = Event & {
  /** A unique id; default a random UUID. Appending the same ids again returns the first result. */
  id?: string;
  /** Merged over the append's own `metadata` option. */
  metadata?: EventMetadata;
};

/** An event as stored: the payload in its current schema, with where and when it was written. */
export type RecordedEvent<Event extends AnyEvent = AnyEvent> = Event & {
  /** The event id (caller-supplied or generated). */
  id: string;
  /** `<category>-<id>` */
  streamName: string;
  /** The category: the part of the stream name before the first "-". */
  category: string;
  /** Version of the stream after this event: 1 for the first event. */
  version: number;
  /** Entry id in the category's partition log (Redis stream id, commit order within the partition). */
  position: string;
  /** The partition log of the category this event went to. */
  partition: number;
  /** When Redis stored the event (the millisecond part of `position`). */
  timestamp: Date;
  metadata: EventMetadata;
  /**
   * The data subjects whose keys encrypt this event's personal fields (docs/personal-data.md);
   * absent when it has none. Snapshots of state folded from such events are encrypted under them.
   */
  dataSubjects?: readonly string[];
};
