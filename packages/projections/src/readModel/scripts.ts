/**
 * Lua scripts of the projections. Constants: user data travels in KEYS and ARGV only. Every key a
 * script touches is declared and shares the build's hash tag (`#!lua` makes Redis 7 enforce it),
 * and every check runs before the first write: a script has no rollback.
 */

/**
 * The commit of one batch.
 * KEYS[1] checkpoints, KEYS[2] fence, KEYS[3] dead letters, KEYS[4] attempts, KEYS[4 + i] doc i.
 * ARGV[1] fence token ("" = no check), ARGV[2] checkpoint field, ARGV[3] expected position,
 * ARGV[4] new position, ARGV[5] applied delta, ARGV[6] docs n, ARGV[7] dead letters m,
 * ARGV[8] attempt fields k, then per doc: expected revision, new value ("<rev>:<json>");
 * then per dead letter: field count f, then f names/values; then k attempt fields.
 * Replies {"ok"} | {"fenced", current} | {"checkpoint", actual} | {"revision", i...}.
 *
 * @example
 * redis.defineCommand("streamstoreRmCommit1", { lua: COMMIT_SCRIPT });
 */
export const COMMIT_SCRIPT = `#!lua
local token = ARGV[1]
if token ~= "" then
  local current = redis.call("GET", KEYS[2])
  if current ~= token then return {"fenced", current or "0"} end
end
local position, count = "0-0", 0
local stored = redis.call("HGET", KEYS[1], ARGV[2])
if stored then
  local p, c = string.match(stored, "^([^|]+)|(%d+)$")
  position, count = p, tonumber(c)
end
if position ~= ARGV[3] then return {"checkpoint", position} end
local docs = tonumber(ARGV[6])
local stale = {"revision"}
for i = 1, docs do
  local expected = tonumber(ARGV[8 + (i - 1) * 2 + 1])
  local current = redis.call("GET", KEYS[4 + i])
  local revision = 0
  if current then revision = tonumber(string.match(current, "^(%d+):")) or -1 end
  if revision ~= expected then stale[#stale + 1] = i end
end
if #stale > 1 then return stale end
for i = 1, docs do
  redis.call("SET", KEYS[4 + i], ARGV[8 + (i - 1) * 2 + 2])
end
redis.call("HSET", KEYS[1], ARGV[2], ARGV[4] .. "|" .. string.format("%d", count + tonumber(ARGV[5])))
local at = 9 + docs * 2
for d = 1, tonumber(ARGV[7]) do
  local f = tonumber(ARGV[at])
  local args = {"XADD", KEYS[3], "*"}
  for j = 1, f do args[#args + 1] = ARGV[at + j] end
  redis.call(unpack(args))
  at = at + f + 1
end
for a = 1, tonumber(ARGV[8]) do
  redis.call("HDEL", KEYS[4], ARGV[at])
  at = at + 1
end
return {"ok"}
`;

/**
 * A dead letter applied after a fix: documents plus the removal of the dead letter, at most once.
 * KEYS[1] dead letters, KEYS[1 + i] doc i. ARGV[1] dead-letter id, ARGV[2] docs n,
 * then per doc: expected revision, new value. Replies {"ok"} | {"gone"} | {"revision"}.
 *
 * @example
 * redis.defineCommand("streamstoreRmDeadLetter1", { lua: DEAD_LETTER_COMMIT_SCRIPT });
 */
export const DEAD_LETTER_COMMIT_SCRIPT = `#!lua
if #redis.call("XRANGE", KEYS[1], ARGV[1], ARGV[1]) == 0 then return {"gone"} end
local docs = tonumber(ARGV[2])
for i = 1, docs do
  local expected = tonumber(ARGV[2 + (i - 1) * 2 + 1])
  local current = redis.call("GET", KEYS[1 + i])
  local revision = 0
  if current then revision = tonumber(string.match(current, "^(%d+):")) or -1 end
  if revision ~= expected then return {"revision"} end
end
for i = 1, docs do
  redis.call("SET", KEYS[1 + i], ARGV[2 + (i - 1) * 2 + 2])
end
redis.call("XDEL", KEYS[1], ARGV[1])
return {"ok"}
`;

/**
 * Takes a partition lease: KEYS[1] lease, KEYS[2] fence. ARGV[1] worker id, ARGV[2] ttl ms.
 * A free lease is taken with a new fence token (INCR); the holder's own lease is extended with
 * its token. Replies the token, or 0 when another worker holds it.
 *
 * @example
 * redis.defineCommand("streamstoreRmAcquire1", { numberOfKeys: 2, lua: ACQUIRE_LEASE_SCRIPT });
 */
export const ACQUIRE_LEASE_SCRIPT = `#!lua
local current = redis.call("GET", KEYS[1])
if current then
  local worker, token = string.match(current, "^(.*)|(%d+)$")
  if worker == ARGV[1] then
    redis.call("PEXPIRE", KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return 0
end
local token = redis.call("INCR", KEYS[2])
redis.call("SET", KEYS[1], ARGV[1] .. "|" .. string.format("%d", token), "PX", ARGV[2])
return token
`;

/**
 * Renews (ARGV[2] = ttl ms) or, with ARGV[2] = "release", deletes a lease held as ARGV[1].
 *
 * @example
 * redis.defineCommand("streamstoreRmRenew1", { numberOfKeys: 1, lua: RENEW_LEASE_SCRIPT });
 */
export const RENEW_LEASE_SCRIPT = `#!lua
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == "release" then
  redis.call("DEL", KEYS[1])
else
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 1
`;

/**
 * Heartbeat of a worker: KEYS[1] members (hash worker → expiry ms). ARGV[1] worker id, ARGV[2]
 * ttl ms ("leave" removes). Uses the server's clock, so workers' clock skew cannot keep a dead
 * worker alive; expired members are removed. Replies the live worker ids (unsorted).
 *
 * @example
 * redis.defineCommand("streamstoreRmHeartbeat1", { numberOfKeys: 1, lua: HEARTBEAT_SCRIPT });
 */
export const HEARTBEAT_SCRIPT = `#!lua
local time = redis.call("TIME")
-- Float arithmetic and "%.0f": milliseconds since 1970 overflow 32-bit integers (the fake's Lua).
local now = tonumber(time[1]) * 1000.0 + math.floor(tonumber(time[2]) / 1000)
if ARGV[2] == "leave" then
  redis.call("HDEL", KEYS[1], ARGV[1])
else
  redis.call("HSET", KEYS[1], ARGV[1], string.format("%.0f", now + tonumber(ARGV[2])))
end
local all = redis.call("HGETALL", KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local expiry = tonumber(all[i + 1])
  -- A value that is not a number (a hand edit) counts as expired, instead of failing every beat.
  if expiry == nil or expiry <= now then
    redis.call("HDEL", KEYS[1], all[i])
  else
    live[#live + 1] = all[i]
  end
end
return live
`;

/**
 * KEYS[1] the active-build pointer. ARGV[1] the build expected there ("" for none), ARGV[2] the
 * next build. Compare-and-set of the pointer readers follow; reply 1 switched, 0 not.
 * (WATCH/MULTI would need a dedicated connection; a one-key script is simpler and atomic.)
 *
 * @example
 * await redis.eval(SWITCH_ACTIVE_BUILD_SCRIPT, 1, "shop:rm:balances:active", "v1", "v2");
 */
export const SWITCH_ACTIVE_BUILD_SCRIPT = `#!lua
local current = redis.call("GET", KEYS[1])
if (current or "") ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[2])
return 1
`;

/**
 * One document written if still at its revision: KEYS[1] doc. ARGV[1] expected revision, ARGV[2]
 * new value. Replies 1, or 0 when the revision moved.
 *
 * @example
 * await redis.eval(WRITE_DOCUMENT_SCRIPT, 1, docKey, 3, `4:${JSON.stringify(state)}`);
 */
export const WRITE_DOCUMENT_SCRIPT = `#!lua
local current = redis.call("GET", KEYS[1])
local revision = 0
if current then revision = tonumber(string.match(current, "^(%d+):")) or -1 end
if revision ~= tonumber(ARGV[1]) then return 0 end
redis.call("SET", KEYS[1], ARGV[2])
return 1
`;
