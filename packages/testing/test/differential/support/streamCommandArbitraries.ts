import fc from "fast-check";

/** One command of a generated sequence: an ioredis method name and its arguments. */
export interface StreamCommand {
  name: string;
  /** Arguments; `{key}` placeholders are replaced with the sequence's prefixed keys. */
  args: (string | number)[];
}

/** The keys a sequence uses, relative to its prefix. */
export const STREAM_KEY = "s";
/** A string key, so that stream commands on it exercise WRONGTYPE. */
export const STRING_KEY = "str";
/** Keys a sequence may touch (deleted on Redis after each sequence). */
export const SEQUENCE_KEYS = [STREAM_KEY, STRING_KEY, "missing"];

/** Mostly the stream; sometimes the string key (WRONGTYPE) or a missing key. */
const KEY = fc.oneof(
  { weight: 12, arbitrary: fc.constant(`{${STREAM_KEY}}`) },
  { weight: 1, arbitrary: fc.constant(`{${STRING_KEY}}`) },
  { weight: 1, arbitrary: fc.constant("{missing}") },
);

// Small id space so that sequences collide with existing ids often.
const ms = fc.integer({ min: 0, max: 12 });
const seq = fc.integer({ min: 0, max: 3 });
const fullId = fc.tuple(ms, seq).map(([m, s]) => `${m}-${s}`);
/** Ids that the seeded entries (`1-0` … `8-0`) make likely to exist and to be pending. */
const likelyId = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }).map((m) => `${m}-0`) },
  { weight: 1, arbitrary: fullId },
);

const invalidId = fc.constantFrom("x", "1-y", "-1", "1-2-3", "", "18446744073709551616-0");
/** Ids that strtoull accepts although they look odd: leading zeros, "+", leading spaces. */
const quirkyId = fc.constantFrom("01-1", "+2-0", " 3-0", "4-01", "0005");

/** Ids for XADD: mostly explicit, sometimes generated (`*`, `<ms>-*`), incomplete or invalid. */
const addId = fc.oneof(
  { weight: 12, arbitrary: fullId },
  { weight: 1, arbitrary: fc.constant("*") },
  { weight: 2, arbitrary: ms.map((m) => `${m}-*`) },
  { weight: 2, arbitrary: ms.map((m) => `${m}`) },
  { weight: 1, arbitrary: fc.constant("0-0") },
  { weight: 1, arbitrary: invalidId },
  { weight: 1, arbitrary: quirkyId },
);

/** Range bounds: special ids, full, incomplete, exclusive, and invalid ones. */
const rangeBound = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("-", "+") },
  { weight: 4, arbitrary: likelyId },
  { weight: 2, arbitrary: ms.map((m) => `${m}`) },
  { weight: 3, arbitrary: fullId.map((id) => `(${id}`) },
  { weight: 1, arbitrary: ms.map((m) => `(${m}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("(-", "(+", "(0-0", "(18446744073709551615-18446744073709551615"),
  },
  { weight: 1, arbitrary: invalidId },
  { weight: 1, arbitrary: quirkyId },
);

const count = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1) },
);

const fields = fc
  .array(fc.tuple(fc.constantFrom("f", "g", "type", ""), fc.constantFrom("1", "v", "", "x y")), {
    minLength: 1,
    maxLength: 2,
  })
  .map((pairs) => pairs.flat());

/** MAXLEN/MINID with `=` or no operator: `~` is left out because which entries it trims is a Redis internal. */
const trimStrategy = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom([], ["="]), fc.integer({ min: 0, max: 8 }))
      .map(([operator, threshold]) => ["MAXLEN", ...operator, threshold]),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom([], ["="]), fc.oneof(fullId, ms.map(String)))
      .map(([operator, threshold]) => ["MINID", ...operator, threshold]),
  },
  // Invalid: LIMIT without ~, negative MAXLEN.
  {
    weight: 1,
    arbitrary: fc.constantFrom(["MAXLEN", "=", 1, "LIMIT", 2], ["MAXLEN", -1]),
  },
);

const xadd = fc
  .tuple(
    KEY,
    fc.constantFrom([], [], [], ["NOMKSTREAM"]),
    fc.option(trimStrategy, { nil: undefined, freq: 5 }),
    addId,
    fields,
  )
  .map(
    ([key, noMkStream, trim, id, entryFields]): StreamCommand => ({
      name: "xadd",
      // `*` ids are normalised to placeholders by identity: two streams given `*` in the same
      // millisecond would share an id by chance, so only the main stream gets `*`.
      args: [
        id === "*" && key === "{missing}" ? `{${STREAM_KEY}}` : key,
        ...noMkStream,
        ...(trim ?? []),
        id,
        ...entryFields,
      ],
    }),
  );

const xdel = fc
  .tuple(
    KEY,
    fc.array(fc.oneof({ weight: 9, arbitrary: likelyId }, { weight: 1, arbitrary: invalidId }), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([key, ids]): StreamCommand => ({ name: "xdel", args: [key, ...ids] }));

const range = (name: "xrange" | "xrevrange") =>
  fc.tuple(KEY, rangeBound, rangeBound, fc.option(count, { nil: undefined })).map(
    ([key, first, second, limit]): StreamCommand => ({
      name,
      args: [key, first, second, ...(limit === undefined ? [] : ["COUNT", limit])],
    }),
  );

const xtrim = fc
  .tuple(KEY, trimStrategy)
  .map(([key, strategy]): StreamCommand => ({ name: "xtrim", args: [key, ...strategy] }));

const xlen = KEY.map((key): StreamCommand => ({ name: "xlen", args: [key] }));

const xinfoStream = KEY.map((key): StreamCommand => ({ name: "xinfo", args: ["STREAM", key] }));

const xread = fc
  .tuple(
    fc.option(count, { nil: undefined }),
    KEY,
    fc.oneof(
      { weight: 4, arbitrary: likelyId },
      { weight: 2, arbitrary: fc.constantFrom("0", "$") },
      { weight: 1, arbitrary: invalidId },
    ),
  )
  .map(
    ([limit, key, id]): StreamCommand => ({
      name: "xread",
      args: [...(limit === undefined ? [] : ["COUNT", limit]), "STREAMS", key, id],
    }),
  );

const xsetid = fc
  .tuple(
    KEY,
    fc.oneof({ weight: 4, arbitrary: fullId }, { weight: 1, arbitrary: invalidId }),
    fc.option(fc.tuple(fc.integer({ min: -1, max: 12 }), fc.option(fullId, { nil: undefined })), {
      nil: undefined,
    }),
  )
  .map(
    ([key, id, extra]): StreamCommand => ({
      name: "xsetid",
      args: [
        key,
        id,
        ...(extra === undefined
          ? []
          : [
              "ENTRIESADDED",
              extra[0],
              ...(extra[1] === undefined ? [] : ["MAXDELETEDID", extra[1]]),
            ]),
      ],
    }),
  );

/** Commands of the stream log itself: writes, deletes, trims, range reads. */
export const logCommand: fc.Arbitrary<StreamCommand> = fc.oneof(
  { weight: 8, arbitrary: xadd },
  { weight: 2, arbitrary: xdel },
  { weight: 4, arbitrary: range("xrange") },
  { weight: 3, arbitrary: range("xrevrange") },
  { weight: 2, arbitrary: xtrim },
  { weight: 1, arbitrary: xlen },
  { weight: 1, arbitrary: xinfoStream },
  { weight: 2, arbitrary: xread },
  { weight: 1, arbitrary: xsetid },
);

const group = fc.oneof(
  { weight: 6, arbitrary: fc.constant("g1") },
  { weight: 2, arbitrary: fc.constant("g2") },
  { weight: 1, arbitrary: fc.constant("nogroup") },
);
const consumer = fc.constantFrom("c1", "c2", "c3");
const groupStart = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("$", "0", "0-0") },
  { weight: 3, arbitrary: likelyId },
  { weight: 1, arbitrary: fc.constant("bad") },
);

const xgroup = fc.oneof(
  fc
    .tuple(
      KEY,
      group,
      groupStart,
      fc.boolean(),
      fc.option(fc.integer({ min: -2, max: 8 }), { nil: undefined }),
    )
    .map(
      ([key, name, start, mkStream, entriesRead]): StreamCommand => ({
        name: "xgroup",
        args: [
          "CREATE",
          key,
          name,
          start,
          ...(mkStream ? ["MKSTREAM"] : []),
          ...(entriesRead === undefined ? [] : ["ENTRIESREAD", entriesRead]),
        ],
      }),
    ),
  fc
    .tuple(KEY, group, groupStart, fc.option(fc.integer({ min: -1, max: 8 }), { nil: undefined }))
    .map(
      ([key, name, start, entriesRead]): StreamCommand => ({
        name: "xgroup",
        args: [
          "SETID",
          key,
          name,
          start,
          ...(entriesRead === undefined ? [] : ["ENTRIESREAD", entriesRead]),
        ],
      }),
    ),
  fc
    .tuple(KEY, group)
    .map(([key, name]): StreamCommand => ({ name: "xgroup", args: ["DESTROY", key, name] })),
  fc.tuple(KEY, group, consumer).map(
    ([key, name, who]): StreamCommand => ({
      name: "xgroup",
      args: ["CREATECONSUMER", key, name, who],
    }),
  ),
  fc.tuple(KEY, group, consumer).map(
    ([key, name, who]): StreamCommand => ({
      name: "xgroup",
      args: ["DELCONSUMER", key, name, who],
    }),
  ),
);

const xreadgroup = fc
  .tuple(
    group,
    consumer,
    fc.option(count, { nil: undefined }),
    fc.boolean(),
    KEY,
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(">") },
      { weight: 2, arbitrary: likelyId },
      { weight: 2, arbitrary: fc.constant("0") },
      { weight: 1, arbitrary: fc.constantFrom("$", "x") },
    ),
  )
  .map(
    ([name, who, limit, noAck, key, id]): StreamCommand => ({
      name: "xreadgroup",
      args: [
        "GROUP",
        name,
        who,
        ...(limit === undefined ? [] : ["COUNT", limit]),
        ...(noAck ? ["NOACK"] : []),
        "STREAMS",
        key,
        id,
      ],
    }),
  );

const xack = fc
  .tuple(KEY, group, fc.array(likelyId, { minLength: 1, maxLength: 3 }))
  .map(([key, name, ids]): StreamCommand => ({ name: "xack", args: [key, name, ...ids] }));

/**
 * The idle time XCLAIM ... IDLE gives an entry. Sequences run in milliseconds, so an entry is
 * either fresh (idle < 5 s) or was claimed with this idle time: thresholds of 30 s tell them apart
 * deterministically, and the property masks idle times near 0 and near this value.
 */
export const CLAIM_IDLE_MS = 60_000;
const minIdle = fc.constantFrom(0, 0, 30_000);

const xpending = fc.oneof(
  fc
    .tuple(KEY, group)
    .map(([key, name]): StreamCommand => ({ name: "xpending", args: [key, name] })),
  fc
    .tuple(
      KEY,
      group,
      fc.option(minIdle, { nil: undefined }),
      rangeBound,
      rangeBound,
      count,
      fc.option(consumer, { nil: undefined }),
    )
    .map(
      ([key, name, idle, start, end, limit, who]): StreamCommand => ({
        name: "xpending",
        args: [
          key,
          name,
          ...(idle === undefined ? [] : ["IDLE", idle]),
          start,
          end,
          limit,
          ...(who === undefined ? [] : [who]),
        ],
      }),
    ),
);

const xclaim = fc
  .tuple(
    KEY,
    group,
    consumer,
    fc.array(likelyId, { minLength: 1, maxLength: 3 }),
    fc.subarray([["JUSTID"], ["FORCE"], ["RETRYCOUNT", 5], ["IDLE", CLAIM_IDLE_MS]]),
    minIdle,
  )
  .map(
    ([key, name, who, ids, options, idle]): StreamCommand => ({
      name: "xclaim",
      args: [key, name, who, idle, ...ids, ...options.flat()],
    }),
  );

const xautoclaim = fc
  .tuple(
    KEY,
    group,
    consumer,
    fc.oneof(likelyId, fc.constantFrom("0", "-", "0-0")),
    fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    fc.boolean(),
    minIdle,
  )
  .map(
    ([key, name, who, start, limit, justId, idle]): StreamCommand => ({
      name: "xautoclaim",
      args: [
        key,
        name,
        who,
        idle,
        start,
        ...(limit === undefined ? [] : ["COUNT", limit]),
        ...(justId ? ["JUSTID"] : []),
      ],
    }),
  );

const xinfoGroups = KEY.map((key): StreamCommand => ({ name: "xinfo", args: ["GROUPS", key] }));
const xinfoFull = fc.tuple(KEY, fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })).map(
  ([key, limit]): StreamCommand => ({
    name: "xinfo",
    args: ["STREAM", key, "FULL", ...(limit === undefined ? [] : ["COUNT", limit])],
  }),
);
const xinfoConsumers = fc
  .tuple(KEY, group)
  .map(([key, name]): StreamCommand => ({ name: "xinfo", args: ["CONSUMERS", key, name] }));

/** Consumer-group commands mixed with the log commands that feed and disturb them. */
export const groupCommand: fc.Arbitrary<StreamCommand> = fc.oneof(
  { weight: 5, arbitrary: xadd },
  { weight: 1, arbitrary: xdel },
  { weight: 1, arbitrary: range("xrange") },
  { weight: 1, arbitrary: xtrim },
  { weight: 3, arbitrary: xgroup },
  { weight: 5, arbitrary: xreadgroup },
  { weight: 2, arbitrary: xack },
  { weight: 2, arbitrary: xpending },
  { weight: 2, arbitrary: xclaim },
  { weight: 2, arbitrary: xautoclaim },
  { weight: 1, arbitrary: xinfoGroups },
  { weight: 1, arbitrary: xinfoConsumers },
  { weight: 1, arbitrary: xinfoFull },
);

/** `XADD s 1-0 … n-0`: a stream that ranges, reads and claims find entries in. */
const seedAdds = fc.integer({ min: 0, max: 6 }).map((length) =>
  Array.from(
    { length },
    (_, index): StreamCommand => ({
      name: "xadd",
      args: [`{${STREAM_KEY}}`, `${index + 1}-0`, "n", `${index + 1}`],
    }),
  ),
);

/**
 * A sequence for the consumer-group property: seeded entries, group g1 from 0 (so that most
 * commands find it), a first delivery to c1, then random commands.
 */
export const groupSequence: fc.Arbitrary<StreamCommand[]> = fc
  .tuple(
    seedAdds,
    fc.integer({ min: 0, max: 4 }),
    fc.array(groupCommand, { minLength: 1, maxLength: 20 }),
  )
  .map(([seeded, firstRead, commands]) => [
    ...seeded,
    { name: "xgroup", args: ["CREATE", `{${STREAM_KEY}}`, "g1", "0", "MKSTREAM"] },
    ...(firstRead > 0
      ? [
          {
            name: "xreadgroup",
            args: ["GROUP", "g1", "c1", "COUNT", firstRead, "STREAMS", `{${STREAM_KEY}}`, ">"],
          },
        ]
      : []),
    ...commands,
  ]);

/** A sequence for the log property: seeded entries, then random commands. */
export const logSequence: fc.Arbitrary<StreamCommand[]> = fc
  .tuple(seedAdds, fc.array(logCommand, { minLength: 1, maxLength: 20 }))
  .map(([seeded, commands]) => [...seeded, ...commands]);
