-- Per-key token buckets, one hash per API key: requests and tokens, each refilled continuously
-- at limit/60 s up to the per-minute limit. Atomic because Redis runs a script as one step;
-- Redis' own clock (TIME) is used so several gateway replicas agree on "now".
-- KEYS[1] bucket hash
-- ARGV[1] requests per minute (0 = unlimited), ARGV[2] tokens per minute (0 = unlimited)
-- ARGV[3] 'admit' (take one request if allowed) or 'debit' (subtract ARGV[4] used tokens;
--         may go below zero: the debt blocks admission until refilled)
-- returns {allowed 0/1, retry_after_ms, remaining_requests, remaining_tokens, reason 0/1 requests/2 tokens}
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'r', 't', 'ts')
local r = tonumber(h[1]) or rpm
local tk = tonumber(h[2]) or tpm
local ts = tonumber(h[3]) or now
local dt = now - ts
if dt < 0 then dt = 0 end
r = math.min(rpm, r + dt * rpm / 60000)
tk = math.min(tpm, tk + dt * tpm / 60000)

local allowed, wait, reason = 1, 0, 0
if ARGV[3] == 'debit' then
  tk = tk - tonumber(ARGV[4])
elseif tpm > 0 and tk <= 0 then
  allowed, reason = 0, 2
  wait = math.ceil(-tk * 60000 / tpm) + 1
elseif rpm > 0 and r < 1 then
  allowed, reason = 0, 1
  wait = math.ceil((1 - r) * 60000 / rpm)
elseif rpm > 0 then
  r = r - 1
end

redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(tk), 'ts', tostring(now))
-- idle buckets refill to full within a minute (plus any token debt); then the key can go
local ttl = 61000
if tpm > 0 and tk < 0 then ttl = ttl + math.ceil(-tk * 60000 / tpm) end
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, wait, math.floor(r), math.floor(tk), reason}
