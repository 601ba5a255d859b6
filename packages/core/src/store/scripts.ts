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
 * KEYS[1] aggregate stream, KEYS[2] category partition log.
 * ARGV[1] expected kind: any | no_stream | stream_exists | exact
 * ARGV[2] expected version (exact only), ARGV[3] aggregate id, ARGV[4] event count n,
 * then per event 5 values: event id, type, data JSON, metadata JSON ("" for none), schema version.
 *
 * Replies: {"ok", version, first version, position...}
 *          {"dup", version, first version, position...}   (the same ids were appended before)
 *          {"conflict", actual version, exists 0|1}
 *          {"idempotency", event id, reason}
 *
 * Every check happens before the first XADD: a Redis script has no rollback.
 */
export const APPEND_SCRIPT = `#!lua
local stream, log = KEYS[1], KEYS[2]
local kind = ARGV[1]
local expected = tonumber(ARGV[2])
local aggregateId = ARGV[3]
local n = tonumber(ARGV[4])
local FIELDS = 5
local FIRST = 5

local function versionOf(entryId)
  return tonumber(string.match(entryId, "^(%d+)%-"))
end

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

-- The version is the last entry id of the aggregate stream ("<version>-0"), or the stream's
-- last-generated-id once trimmed empty: never XLEN, which drifts after trimming.
local current, exists = 0, false
local last = redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1)
if #last > 0 then
  current, exists = versionOf(last[1][1]), true
elseif redis.call("EXISTS", stream) == 1 then
  exists = true
  local info = redis.call("XINFO", "STREAM", stream)
  for i = 1, #info, 2 do
    if info[i] == "last-generated-id" then current = versionOf(info[i + 1]) end
  end
end

-- Idempotency: a batch whose ids are already stored where this append would have put them is
-- a retry of an append whose reply was lost. Exact expected versions look where the batch was
-- expected to land; the others look at the last batch of the stream.
local candidates = nil
if kind == "exact" or kind == "no_stream" then
  local base = expected
  if kind == "no_stream" then base = 0 end
  if current > base then
    candidates = redis.call("XRANGE", stream, string.format("%d-0", base + 1), string.format("%d-0", base + n))
  end
elseif #last > 0 then
  local lastId = field(last[1], "i")
  for k = 1, n do
    if arg(k, 0) == lastId then
      if k ~= n then return {"idempotency", lastId, "as the last event of the stream, but not last in this batch"} end
      candidates = redis.call("XREVRANGE", stream, "+", "-", "COUNT", n)
      local reversed = {}
      for i = #candidates, 1, -1 do reversed[#reversed + 1] = candidates[i] end
      candidates = reversed
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
    local reply = {"dup", versionOf(candidates[n][1]), versionOf(candidates[1][1])}
    for k = 1, n do
      if field(candidates[k], "t") ~= arg(k, 1) or field(candidates[k], "d") ~= arg(k, 2) then
        return {"idempotency", arg(k, 0), "with another type or payload"}
      end
      reply[#reply + 1] = field(candidates[k], "p") or ""
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
for k = 1, n do
  local version = string.format("%d", current + k)
  local id, eventType, data, metadata, schema = arg(k, 0), arg(k, 1), arg(k, 2), arg(k, 3), arg(k, 4)
  local position
  -- The common event has no metadata and schema version 1: two plain calls, no tables.
  if metadata == "" and schema == "1" then
    position = redis.call("XADD", log, "*", "i", id, "t", eventType, "d", data, "a", aggregateId, "v", version)
    redis.call("XADD", stream, version .. "-0", "i", id, "t", eventType, "d", data, "p", position)
  else
    local extra = {}
    if metadata ~= "" then extra[#extra + 1] = "m"; extra[#extra + 1] = metadata end
    if schema ~= "1" then extra[#extra + 1] = "s"; extra[#extra + 1] = schema end
    local logFields = {"i", id, "t", eventType, "d", data, "a", aggregateId, "v", version}
    local streamFields = {"i", id, "t", eventType, "d", data}
    for i = 1, #extra do
      logFields[#logFields + 1] = extra[i]
      streamFields[#streamFields + 1] = extra[i]
    end
    position = redis.call("XADD", log, "*", unpack(logFields))
    streamFields[#streamFields + 1] = "p"; streamFields[#streamFields + 1] = position
    redis.call("XADD", stream, version .. "-0", unpack(streamFields))
  end
  reply[#reply + 1] = position
end
return reply
`;

/**
 * KEYS[1] aggregate stream. Reply: {version, exists 0|1}. Read-only, so it may run on replicas.
 */
export const VERSION_SCRIPT = `#!lua flags=no-writes
local stream = KEYS[1]
local last = redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1)
if #last > 0 then return {tonumber(string.match(last[1][1], "^(%d+)%-")), 1} end
if redis.call("EXISTS", stream) == 0 then return {0, 0} end
local info = redis.call("XINFO", "STREAM", stream)
for i = 1, #info, 2 do
  if info[i] == "last-generated-id" then return {tonumber(string.match(info[i + 1], "^(%d+)%-")), 1} end
end
return {0, 1}
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
