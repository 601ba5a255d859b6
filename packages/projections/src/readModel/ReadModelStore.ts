/**
 * A stored read-model document with its revision (1 after its first commit, +1 per commit).
 *
 * @example
 * const [doc] = await readModel.loadDocuments("v1", ["account-1"]); // { revision: 3, state: {...} }
 */
export interface StoredDocument<StateType = unknown> {
  revision: number;
  state: StateType;
}

/**
 * Where a projection build stands in one partition log.
 *
 * @example
 * const checkpoint = (await readModel.readCheckpoints("v1")).get("account:0"); // { position, applied }
 */
export interface Checkpoint {
  /** The last applied (or skipped, or dead-lettered) log position; `"0-0"` before the first. */
  position: string;
  /** How many log entries the build has gone past in this partition (for lag). */
  applied: number;
}

/**
 * One document written by a commit, guarded by the revision it was computed from.
 *
 * @example
 * const write: DocumentWrite = { key: "account-1", expectedRevision: 3, state: { balance: 10 } };
 */
export interface DocumentWrite {
  key: string;
  /** The revision the new state was computed from (0: the document did not exist). */
  expectedRevision: number;
  state: unknown;
}

/**
 * The fields of a dead letter as stored (stream entry fields).
 *
 * @example
 * const [{ entryId, error }] = (await runner.deadLetters.list()) as DeadLetterRecord[];
 */
export interface DeadLetterRecord {
  /** `<category>:<partition>` of the source log. */
  partition: string;
  /** The entry id in the source log. */
  entryId: string;
  /** `"handler"`: the handler kept failing; `"corrupt"`: the entry could not be decoded. */
  reason: "handler" | "corrupt";
  /** Handler attempts made (1 for a corrupt entry). */
  attempts: number;
  /** The last error's text. */
  error: string;
  /** The event type, when the entry had one. */
  type: string;
  /** The raw entry fields as JSON (`{"a": ..., "t": ..., "d": ...}`), to retry or inspect. */
  entry: string;
  /** When the dead letter was written (ms since epoch). */
  at: number;
}

/**
 * A dead letter as listed, with its id in the dead-letter stream.
 *
 * @example
 * for (const letter of await runner.deadLetters.list()) console.log(letter.id, letter.error);
 */
export interface DeadLetter extends DeadLetterRecord {
  id: string;
}

/**
 * One atomic step of a partition: documents, dead letters and the checkpoint together.
 *
 * @example
 * await readModel.commit({ build: "v1", partition: "account:0", fenceToken: 7, expectedPosition: "0-0",
 *   position: "5-0", appliedDelta: 1, documents: [], deadLetters: [], clearAttempts: [] });
 */
export interface CommitRequest {
  build: string;
  /** `<category>:<partition>` */
  partition: string;
  /** The partition's fence token held by the committer; undefined skips the fence check. */
  fenceToken: number | undefined;
  /** The checkpoint position the batch follows (compare-and-set). */
  expectedPosition: string;
  /** The last log position of the batch. */
  position: string;
  /** Log entries the batch covers (applied, skipped and dead-lettered). */
  appliedDelta: number;
  documents: readonly DocumentWrite[];
  deadLetters: readonly DeadLetterRecord[];
  /** Attempt counters to delete (`<category>:<partition>:<entry id>`). */
  clearAttempts: readonly string[];
}

/**
 * What a commit did: written, or refused with nothing written.
 *
 * @example
 * const outcome = await readModel.commit(request);
 * if (outcome.status === "revision") console.log(outcome.staleKeys);
 */
export type CommitOutcome =
  | { status: "ok" }
  | { status: "fenced"; currentToken: number }
  | { status: "checkpoint"; actual: string }
  | { status: "revision"; staleKeys: string[] };

/**
 * Where a projection's read model, checkpoints, attempts and dead letters live. The runner only
 * writes through `commit`, which is atomic: all of it or nothing.
 *
 * @example
 * const readModel: ReadModelStore = createRedisReadModelStore({ redis, prefix: "shop", name: "balances" });
 * const [doc] = await readModel.loadDocuments("v1", ["account-1"]);
 */
export interface ReadModelStore {
  /** `"redis"` or `"memory"`. */
  readonly kind: string;
  /** The projection these keys belong to. */
  readonly name: string;
  /** The key prefix of a store in Redis (its leases and fences live there too). */
  readonly prefix?: string;
  /** Documents of a build, in the order of `keys` (undefined: none yet). */
  loadDocuments(build: string, keys: readonly string[]): Promise<(StoredDocument | undefined)[]>;
  /** Every checkpoint of a build, by `<category>:<partition>`. */
  readCheckpoints(build: string): Promise<Map<string, Checkpoint>>;
  /** Commits a batch atomically (see {@link CommitRequest}). */
  commit(request: CommitRequest): Promise<CommitOutcome>;
  /** Adds one handler attempt for an entry and returns the count (survives worker crashes). */
  recordAttempt(build: string, attemptKey: string): Promise<number>;
  /** Dead letters of a build, oldest first. */
  listDeadLetters(
    build: string,
    options?: { after?: string; count?: number },
  ): Promise<DeadLetter[]>;
  /** One dead letter by id, or undefined. */
  getDeadLetter(build: string, deadLetterId: string): Promise<DeadLetter | undefined>;
  /** How many dead letters a build has. */
  countDeadLetters(build: string): Promise<number>;
  /**
   * Writes documents computed from a dead letter and removes the dead letter, atomically: "gone"
   * when it was removed already (so a retry applies at most once).
   */
  commitDeadLetter(
    build: string,
    deadLetterId: string,
    documents: readonly DocumentWrite[],
  ): Promise<"ok" | "gone" | "revision">;
  /**
   * Writes one document outside a batch, if it is still at `expectedRevision` (else "revision"):
   * how `eraseSubject` edits documents that hold a forgotten subject's personal data. A worker
   * holding the old revision sees a revision conflict at its next commit and reloads.
   */
  writeDocument(build: string, document: DocumentWrite): Promise<"ok" | "revision">;
  /** Removes a dead letter; false when it was not there. */
  discardDeadLetter(build: string, deadLetterId: string): Promise<boolean>;
  /** The build readers use, or null before the first build started. */
  readActiveBuild(): Promise<string | null>;
  /** Compare-and-set of the active build; true when switched. */
  switchActiveBuild(expected: string | null, next: string): Promise<boolean>;
  /** Deletes every key of a build (after its grace period). */
  dropBuild(build: string): Promise<void>;
}
