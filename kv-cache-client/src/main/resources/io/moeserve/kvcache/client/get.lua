-- ARGV[4] '1' = stop at the first missing block (prefix read), ARGV[5..] block hexes in prefix order.
-- Returns one bulk per block read; a missing block is an empty string (a real block never is).
local _, ttl = policy()
local prefixOnly = ARGV[4] == '1'
local n = #ARGV - 4
local now = now_us()
local out, hits, bytes, expired = {}, 0, 0, 0
for i = 1, n do
  local m = ARGV[4 + i]
  local v = redis.call('GET', PREFIX .. m)
  if v then
    out[#out + 1] = v
    hits = hits + 1
    bytes = bytes + #v
    touch(m, now - i, ttl)
  else
    if redis.call('ZSCORE', LRU, m) then forget(m); expired = expired + 1 end
    if prefixOnly then break end
    out[#out + 1] = ''
  end
end
if n > 0 then
  redis.call('HINCRBY', STATS, 'hits', hits)
  redis.call('HINCRBY', STATS, 'misses', n - hits)
  redis.call('HINCRBY', STATS, 'bytes_read', bytes)
  if expired > 0 then redis.call('HINCRBY', STATS, 'expired', expired) end
end
return out
