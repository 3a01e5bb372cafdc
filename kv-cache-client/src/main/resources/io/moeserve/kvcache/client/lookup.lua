-- ARGV[4..] block hexes in prefix order. Returns how many leading blocks are present.
local n = #ARGV - 3
local found = 0
for i = 1, n do
  if redis.call('EXISTS', PREFIX .. ARGV[3 + i]) == 0 then break end
  found = found + 1
end
if n > 0 then
  redis.call('HINCRBY', STATS, 'hits', found)
  redis.call('HINCRBY', STATS, 'misses', n - found)
end
return found
