-- Runs pipelined right behind the MGET that reads the blocks (MGET moves the bytes ~2.5x faster
-- than returning them from Lua). ARGV[4] '1' = prefix read, ARGV[5..] block hexes in prefix order.
-- Refreshes LRU score and TTL of the blocks the reader gets, settles blocks that expired on their
-- own, and counts statistics. Returns the number of blocks counted as hits.
local _, ttl = policy()
local prefixOnly = ARGV[4] == '1'
local n = #ARGV - 4
local now = now_us()
local hits, bytes, expired, gap = 0, 0, 0, false
for i = 1, n do
  local m = ARGV[4 + i]
  local size = redis.call('STRLEN', PREFIX .. m)
  if size > 0 then
    if not (prefixOnly and gap) then
      hits = hits + 1
      bytes = bytes + size
      touch(m, now - i, ttl)
    end
  else
    gap = true
    if redis.call('ZSCORE', LRU, m) then forget(m); expired = expired + 1 end
  end
end
if n > 0 then
  redis.call('HINCRBY', STATS, 'hits', hits)
  redis.call('HINCRBY', STATS, 'misses', n - hits)
  redis.call('HINCRBY', STATS, 'bytes_read', bytes)
  if expired > 0 then redis.call('HINCRBY', STATS, 'expired', expired) end
end
return hits
