-- Shared preamble of every kv-cache script (KvScripts prepends it). Key layout: see KvKeySchema.
-- KEYS[1] lru (zset member=block hex, score=last touch in us)  KEYS[2] bytes (int)
-- KEYS[3] sizes (hash member->bytes)  KEYS[4] stats (hash)  KEYS[5] policy (hash)  KEYS[6] models (set)
-- ARGV[1] block key prefix, ARGV[2] fallback quota bytes, ARGV[3] fallback ttl ms
local LRU, BYTES, SIZES, STATS, POLICY, MODELS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local PREFIX = ARGV[1]

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- The service writes a model's policy hash; until it has, the caller's fallback applies.
local function policy()
  local p = redis.call('HMGET', POLICY, 'quota_bytes', 'ttl_ms')
  return tonumber(p[1]) or tonumber(ARGV[2]), tonumber(p[2]) or tonumber(ARGV[3])
end

-- Drops a block and its bookkeeping; safe when the block itself already expired.
local function forget(m)
  local size = tonumber(redis.call('HGET', SIZES, m)) or 0
  redis.call('DEL', PREFIX .. m)
  redis.call('HDEL', SIZES, m)
  redis.call('ZREM', LRU, m)
  if size > 0 then redis.call('DECRBY', BYTES, size) end
end

-- Parents get the later score so that, at equal recency, children are evicted first.
local function touch(m, score, ttl)
  redis.call('ZADD', LRU, 'XX', score, m)
  if ttl > 0 then redis.call('PEXPIRE', PREFIX .. m, ttl) end
end
