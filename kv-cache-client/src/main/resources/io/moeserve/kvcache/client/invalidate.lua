-- ARGV[4] batch size. Drops up to one batch of the model's blocks; returns {dropped, remaining}.
-- Batched so a large model never blocks Redis for long; the caller loops until remaining = 0.
local batch = tonumber(ARGV[4])
local members = redis.call('ZRANGE', LRU, 0, batch - 1)
for _, m in ipairs(members) do forget(m) end
local remaining = redis.call('ZCARD', LRU)
if remaining == 0 then redis.call('DEL', BYTES, SIZES) end
redis.call('HINCRBY', STATS, 'invalidated', #members)
return {#members, remaining}
