/**
 * The Lua scripts of the event store. They are constants: no user data is ever spliced into
 * their source (it travels in KEYS and ARGV only), so their SHA1s never change with input.
 *
 * Written for Redis's Lua 5.1 and kept within what Lua 5.3 (the in-memory fake's fengari) runs
 * the same way: no integer division, numbers formatted with string.format("%d").
 *
 * The `#!lua` shebang (Redis 7) makes Redis refuse the script as a whole when it is out of memory
 * (instead of failing at the first write, halfway through) and forbids touching undeclared keys,
 * which is what keeps every call on one cluster slot.
 */

/**
 * Bytes of one record of an aggregate index (the string at `keys.index(...)`): the log position
 * of version k is the record at byte offset `(k - 1) * INDEX_RECORD_BYTES`, so the version is the
 * string's length divided by this. See docs/key-layout.md.
 */
export const INDEX_RECORD_BYTES = 12;

// Log positions ("<ms>-<seq>") packed into 12 bytes and back, inside the scripts only: ms and seq
// as 6-byte big-endian unsigned integers, with Redis's own struct library (in C: bench:append
// measured the decimal-splitting codec this replaced at 2 µs per event of Redis time). Valid for
// ms and seq below 2^48 (the year 10889); encodePosition answers nil beyond, which only a log
// whose ids were set by hand (XADD with an explicit id, XSETID) can reach. Lua 5.1 numbers are
// doubles: exact there, and the fake's Lua gets the same struct and number semantics.
const POSITION_CODEC = `
local W = 12
local POSITION_LIMIT = 281474976710656
local function encodePosition(position)
  local ms, seq = string.match(position, "^(%d+)%-(%d+)$")
  ms, seq = tonumber(ms), tonumber(seq)
  if ms >= POSITION_LIMIT or seq >= POSITION_LIMIT then return nil end
  return struct.pack(">I6I6", ms, seq)
end
-- The position of the record starting at byte 'at' (1-based) of 'records'.
local function decodePosition(records, at)
  local ms, seq = struct.unpack(">I6I6", records, at)
  return string.format("%d-%d", ms, seq)
end
`;

/**
 * Bytes of the header an aggregate index starts with once the archiver moved its oldest versions
 * to the archive: the letter "A", then how many leading versions were archived, as a 6-byte
 * big-endian unsigned integer. Its length is not a multiple of {@link INDEX_RECORD_BYTES}, so
 * `STRLEN` alone tells whether an index has one: an aggregate never archived pays nothing, and a
 * fully archived one is these 7 bytes. See docs/archiving.md.
 */
export const INDEX_HEADER_BYTES = 7;

// The state of an aggregate index, shared by every script that reads one (HEAD is
// INDEX_HEADER_BYTES, spelled out: a script splices in only constant Lua): indexState(index)
// answers current version, versions archived, bytes before the first record (0 or the header);
// or nil and the length of an index that is neither whole records nor a header and whole
// records (written by hand). The record of version k (k > archived) starts at byte
// head + (k - archived - 1) * W, 0-based.
const INDEX_STATE = `
local HEAD = 7
local function indexState(index)
  local length = redis.call("STRLEN", index)
  local remainder = length % W
  if remainder == 0 then return math.floor(length / W), 0, 0 end
  if remainder ~= HEAD then return nil, length end
  local header = redis.call("GETRANGE", index, 0, HEAD - 1)
  if string.sub(header, 1, 1) ~= "A" then return nil, length end
  local archived = struct.unpack(">I6", header, 2)
  return archived + math.floor(length / W), archived, HEAD
end
`;

/**
 * KEYS[1] aggregate index, KEYS[2] category partition log.
 * ARGV[1] expected kind: any | no_stream | stream_exists | exact
 * ARGV[2] expected version (exact only), ARGV[3] aggregate id, ARGV[4] event count n,
 * ARGV[5] values per event, 3 or 5, then per event: event id, type, data JSON and, with 5, metadata
 * JSON ("" for none) and schema version. A batch of events without metadata at schema version 1
 * (the common one) is sent with 3: two arguments fewer per event to write, send and parse.
 *
 * Replies: {"ok", version, first version, position...}
 *          {"dup", version, first version, position...}   (the same ids were appended before)
 *          {"conflict", actual version, exists 0|1}
 *          {"idempotency", event id, reason}
 *          {"corrupt", index length}                      (the index is not whole records)
 *          {"position", log position}                     (beyond what a record holds; undone)
 *
 * Each event is stored once, in the log; the index gets one 12-byte record per event (its log
 * position), so the version is the index length / 12: never XLEN, and trimming the log cannot
 * move it. Every check happens before the first write: a Redis script has no rollback. The one
 * thing known only after an XADD is the position Redis gave it; one beyond what a record holds
 * (a log whose ids were set by hand) makes the script delete the entries it added and refuse:
 * inside one script no client has seen them.
 */
export const APPEND_SCRIPT = `#!lua
local index, log = KEYS[1], KEYS[2]
local kind = ARGV[1]
local expected = tonumber(ARGV[2])
local aggregateId = ARGV[3]
local n = tonumber(ARGV[4])
local FIELDS = tonumber(ARGV[5])
local FIRST = 6
if not n or n < 1 or n % 1 ~= 0 or (FIELDS ~= 3 and FIELDS ~= 5) or #ARGV < 5 + n * FIELDS then
  return redis.error_reply("ERR streamstore append: ARGV[4] must count the events (>= 1), ARGV[5] be 3 or 5")
end
${POSITION_CODEC}${INDEX_STATE}
local function field(entry, name)
  local fields = entry[2]
  if not fields then return nil end
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

local function arg(k, offset)
  return ARGV[FIRST + (k - 1) * FIELDS + offset]
end

local current, archived, head = indexState(index)
if not current then return {"corrupt", archived} end
local exists = current > 0

-- The log entries of versions first..last, in order, each {position, fields} ({position} when the
-- entry is gone from the log: trimmed or deleted). An archived version (moved out of Redis) is
-- {"0-0"}: it has no id to match, so a retry is recognised while its batch is still hot (the
-- archiver keeps events younger than its minimum age in Redis).
local function entriesOf(first, last)
  local entries = {}
  local low = math.max(first, archived + 1)
  for version = first, math.min(low - 1, last) do entries[#entries + 1] = {"0-0"} end
  if low > last then return entries end
  local records = redis.call("GETRANGE", index, head + (low - archived - 1) * W, head + (last - archived) * W - 1)
  for version = low, last do
    local position = decodePosition(records, (version - low) * W + 1)
    local found = redis.call("XRANGE", log, position, position)
    if #found > 0 then entries[#entries + 1] = found[1] else entries[#entries + 1] = {position} end
  end
  return entries
end

-- Idempotency: a batch whose ids are already stored where this append would have put them is
-- a retry of an append whose reply was lost. Exact expected versions look where the batch was
-- expected to land; the others look at the last batch of the stream.
local candidates = nil
local firstCandidate = 0
if kind == "exact" or kind == "no_stream" then
  local base = expected
  if kind == "no_stream" then base = 0 end
  if current > base then
    firstCandidate = base + 1
    candidates = entriesOf(base + 1, math.min(base + n, current))
  end
elseif exists then
  local lastId = field(entriesOf(current, current)[1], "i")
  for k = 1, n do
    if arg(k, 0) == lastId then
      if k ~= n then return {"idempotency", lastId, "as the last event of the stream, but not last in this batch"} end
      firstCandidate = math.max(current - n + 1, 1)
      candidates = entriesOf(firstCandidate, current)
    end
  end
end
if candidates and #candidates > 0 then
  local matched = 0
  for k = 1, #candidates do
    if field(candidates[k], "i") == arg(k, 0) then matched = matched + 1 end
  end
  if matched > 0 then
    if matched ~= n or #candidates ~= n then
      return {"idempotency", arg(1, 0), "in a batch of another shape"}
    end
    local reply = {"dup", firstCandidate + n - 1, firstCandidate}
    for k = 1, n do
      if field(candidates[k], "t") ~= arg(k, 1) or field(candidates[k], "d") ~= arg(k, 2) then
        return {"idempotency", arg(k, 0), "with another type or payload"}
      end
      reply[#reply + 1] = candidates[k][1]
    end
    return reply
  end
end

local ok = true
if kind == "no_stream" then ok = not exists
elseif kind == "stream_exists" then ok = exists
elseif kind == "exact" then ok = current == expected end
if not ok then
  local flag = 0
  if exists then flag = 1 end
  return {"conflict", current, flag}
end

local reply = {"ok", current + n, current + 1}
local records = {}
for k = 1, n do
  local version = string.format("%d", current + k)
  local id, eventType, data = arg(k, 0), arg(k, 1), arg(k, 2)
  local metadata, schema = "", "1"
  if FIELDS == 5 then metadata, schema = arg(k, 3), arg(k, 4) end
  local position
  -- The common event has no metadata and schema version 1: one plain call, no table.
  if metadata == "" and schema == "1" then
    position = redis.call("XADD", log, "*", "i", id, "t", eventType, "d", data, "a", aggregateId, "v", version)
  else
    local fields = {"i", id, "t", eventType, "d", data, "a", aggregateId, "v", version}
    if metadata ~= "" then fields[#fields + 1] = "m"; fields[#fields + 1] = metadata end
    if schema ~= "1" then fields[#fields + 1] = "s"; fields[#fields + 1] = schema end
    position = redis.call("XADD", log, "*", unpack(fields))
  end
  reply[#reply + 1] = position
  records[k] = encodePosition(position)
  if not records[k] then
    for added = 4, #reply do redis.call("XDEL", log, reply[added]) end
    return {"position", position}
  end
end
redis.call("APPEND", index, table.concat(records))
return reply
`;

/**
 * KEYS[1] aggregate index, KEYS[2] category partition log. Read-only (runs with EVALSHA_RO, so
 * a read-only ACL user and replicas can run it).
 * ARGV[1] "forward" | "backward", ARGV[2] first version to read (0: the newest, backward only),
 * ARGV[3] last version to read, inclusive (0: no bound), ARGV[4] at most this many events,
 * ARGV[5] (optional) a page of more versions than this answers their positions, not their entries.
 *
 * Versions the archiver moved out of Redis (at or below the index header's count) are never
 * returned: a page that would start there comes back empty, with the count, and the caller reads
 * them from the archive.
 *
 * Replies: {"ok", version, first version read, versions archived, entry...}, each entry
 * {position, fields} as XRANGE
 * gives it, or {position} when the log no longer holds it (trimmed or deleted);
 * {"positions", version, first version read, versions archived, ms, seq, ms, seq...}, each
 * version's position as two integers, for the caller to fetch with one XREAD (a third of the
 * Redis time of the lookups here, which cost a Lua call and two conversions of the entry each);
 * {"corrupt", index length}.
 */
export const READ_SCRIPT = `#!lua flags=no-writes
local index, log = KEYS[1], KEYS[2]
local backward = ARGV[1] == "backward"
local start = tonumber(ARGV[2])
local stop = tonumber(ARGV[3])
local count = tonumber(ARGV[4])
local positionsAbove = tonumber(ARGV[5])
${POSITION_CODEC}${INDEX_STATE}
local current, archived, head = indexState(index)
if not current then return {"corrupt", archived} end
local first, last, step
if backward then
  first = start
  if first == 0 or first > current then first = current end
  last = math.max(stop, first - count + 1, archived + 1, 1)
  step = -1
else
  first = math.max(start, 1)
  last = current
  if stop > 0 and stop < last then last = stop end
  last = math.min(last, first + count - 1)
  step = 1
end
local reply = {"ok", current, first, archived}
local low, high = math.min(first, last), math.max(first, last)
if (step == 1 and first > last) or (step == -1 and first < last) or current == 0 or low <= archived then return reply end
local records = redis.call("GETRANGE", index, head + (low - archived - 1) * W, head + (high - archived) * W - 1)
if positionsAbove and high - low + 1 > positionsAbove then
  reply[1] = "positions"
  for version = first, last, step do
    local ms, seq = struct.unpack(">I6I6", records, (version - low) * W + 1)
    reply[#reply + 1] = ms
    reply[#reply + 1] = seq
  end
  return reply
end
for version = first, last, step do
  local position = decodePosition(records, (version - low) * W + 1)
  local found = redis.call("XRANGE", log, position, position)
  if #found > 0 then reply[#reply + 1] = found[1] else reply[#reply + 1] = {position} end
end
return reply
`;

/**
 * KEYS[1] aggregate index. Reply: {version, exists 0|1}, or {"corrupt", index length}.
 * Read-only (runs with EVALSHA_RO).
 */
export const VERSION_SCRIPT = `#!lua flags=no-writes
local W = 12
${INDEX_STATE}
local current, archived = indexState(KEYS[1])
if not current then return {"corrupt", archived} end
local exists = 0
if current > 0 then exists = 1 end
return {current, exists}
`;

/**
 * KEYS[1] snapshot key. ARGV[1] version, ARGV[2] snapshot JSON. Stores the snapshot unless one
 * of a higher version is already there (two writers may race; the newest wins).
 * Reply: 1 stored, 0 kept the newer one.
 */
export const SNAPSHOT_SCRIPT = `#!lua
local key = KEYS[1]
local version = tonumber(ARGV[1])
local stored = redis.call("HGET", key, "v")
if stored and tonumber(stored) and tonumber(stored) >= version then return 0 end
redis.call("HSET", key, "v", ARGV[1], "doc", ARGV[2])
return 1
`;

/**
 * The archiver's one write: once the archive has committed a category partition's log entries
 * up to a position, trims them from the log and shrinks the indexes of their aggregates, all or
 * nothing, under the archiver's lease.
 *
 * KEYS[1] category partition log, KEYS[2] its seam hash (`keys.archived`), KEYS[3] the
 * archiver's lease (`keys.archiver`), KEYS[4..] the index of each aggregate with events in the
 * step. ARGV[1] the lease token, ARGV[2] the last archived position (every log entry up to it is
 * committed in the archive), then per index (in KEYS order) the highest archived version of that
 * aggregate and its position.
 *
 * Replies: {"ok", entries trimmed}, {"fenced"} (the lease is not ours: nothing done),
 * {"corrupt", index key} (an index not whole records, one whose record for that version names
 * another position (written by hand), or a version logged after ARGV[2]; nothing done). An index
 * listed twice is an error reply.
 *
 * Each index drops the records of its archived versions and starts with a header that counts
 * them (see INDEX_HEADER_BYTES), so its version, expected-version checks and the versions still
 * hot keep working; the log loses exactly the entries up to the position (XTRIM MINID, exact).
 */
export const ARCHIVE_TRIM_SCRIPT = `#!lua
local log, seam, lease = KEYS[1], KEYS[2], KEYS[3]
if redis.call("GET", lease) ~= ARGV[1] then return {"fenced"} end
${POSITION_CODEC}${INDEX_STATE}
local through = ARGV[2]
-- ms and seq of a position, as numbers (exact below 2^53); nil for anything else.
local function parts(position)
  local ms, seq = string.match(position or "", "^(%d+)%-(%d+)$")
  if not ms then return nil end
  return tonumber(ms), tonumber(seq)
end
local ms, seq = parts(through)
if not ms or (#KEYS - 3) * 2 + 2 ~= #ARGV then
  return redis.error_reply("ERR streamstore archive trim: ARGV[2] must be a log position, then a version and a position per index")
end
local plans = {}
local listed = {}
for k = 4, #KEYS do
  local index = KEYS[k]
  local version = tonumber(ARGV[1 + (k - 3) * 2])
  local position = ARGV[2 + (k - 3) * 2]
  -- Each index once (its plan is computed from the index as it is now), and only versions the
  -- archive was promised: at or before the step's last position.
  if listed[index] then
    return redis.error_reply("ERR streamstore archive trim: an index is listed twice")
  end
  listed[index] = true
  local positionMs, positionSeq = parts(position)
  if not version or not positionMs or positionMs > ms or (positionMs == ms and positionSeq > seq) then
    return {"corrupt", index}
  end
  local current, archived, head = indexState(index)
  if not current then return {"corrupt", index} end
  -- An index deleted by hand (its events are archived all the same), or versions archived by an
  -- earlier step: nothing to shrink.
  if current > 0 and version > archived then
    if version > current then return {"corrupt", index} end
    local at = head + (version - archived - 1) * W
    if decodePosition(redis.call("GETRANGE", index, at, at + W - 1), 1) ~= position then
      return {"corrupt", index}
    end
    plans[#plans + 1] = {index, version, at + W}
  end
end
for _, plan in ipairs(plans) do
  local rest = redis.call("GETRANGE", plan[1], plan[3], -1)
  redis.call("SET", plan[1], "A" .. struct.pack(">I6", plan[2]) .. rest)
end
local trimmed = redis.call("XTRIM", log, "MINID", string.format("%d-%d", ms, seq + 1))
-- The seam only moves forward (a step replayed after a crash trims nothing and keeps it).
local lastMs, lastSeq = parts(redis.call("HGET", seam, "position") or "0-0")
if not lastMs or ms > lastMs or (ms == lastMs and seq > lastSeq) then
  redis.call("HSET", seam, "position", through)
end
redis.call("HINCRBY", seam, "events", trimmed)
return {"ok", trimmed}
`;
