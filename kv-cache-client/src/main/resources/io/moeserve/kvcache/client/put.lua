-- ARGV[4] model id, ARGV[5] n, ARGV[6..5+n] block hexes (prefix order), ARGV[6+n..5+2n] block bytes.
-- Stores new blocks, refreshes known ones, drops blocks past their TTL, then evicts least recently
-- used blocks until the model is within its quota. n = 0 is a pure sweep. Returns {stored, evicted, expired}.
local quota, ttl = policy()
local n = tonumber(ARGV[5])
local now = now_us()
local expired = 0
if ttl > 0 then
  -- %.0f: Lua's own number-to-string keeps only 14 digits of a microsecond clock.
  -- Redis already dropped these blocks (sliding TTL = last touch + ttl); settle their bytes here.
  local stale = redis.call('ZRANGEBYSCORE', LRU, '-inf', string.format('(%.0f', now - ttl * 1000), 'LIMIT', 0, 256)
  for _, m in ipairs(stale) do forget(m); expired = expired + 1 end
end
local stored, written = 0, 0
for i = 1, n do
  local m, v = ARGV[5 + i], ARGV[5 + n + i]
  local key = PREFIX .. m
  if redis.call('EXISTS', key) == 1 then
    -- Content-addressed: an existing block is the same bytes; only its recency changes.
    if redis.call('ZADD', LRU, now - i, m) == 1 then
      local size = redis.call('STRLEN', key)
      redis.call('HSET', SIZES, m, size)
      redis.call('INCRBY', BYTES, size)
    end
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
  else
    if ttl > 0 then redis.call('SET', key, v, 'PX', ttl) else redis.call('SET', key, v) end
    redis.call('HSET', SIZES, m, #v)
    redis.call('ZADD', LRU, now - i, m)
    redis.call('INCRBY', BYTES, #v)
    stored = stored + 1
    written = written + #v
  end
end
local evicted = 0
while (tonumber(redis.call('GET', BYTES)) or 0) > quota do
  local oldest = redis.call('ZRANGE', LRU, 0, 0)
  if #oldest == 0 then redis.call('SET', BYTES, 0); break end
  forget(oldest[1])
  evicted = evicted + 1
end
redis.call('SADD', MODELS, ARGV[4])
if stored > 0 then
  redis.call('HINCRBY', STATS, 'puts', stored)
  redis.call('HINCRBY', STATS, 'bytes_written', written)
end
if evicted > 0 then redis.call('HINCRBY', STATS, 'evictions', evicted) end
if expired > 0 then redis.call('HINCRBY', STATS, 'expired', expired) end
return {stored, evicted, expired}
