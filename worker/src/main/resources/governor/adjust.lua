-- Adjust one bucket after a call: give back (or charge more) tokens and requests, learn the
-- provider's real limits, tighten to what the provider says remains, and pause after a 429.
--
-- KEYS[1]: the bucket. ARGV: tokens to give back (negative: charge more), requests to give back,
-- learned tokens per minute (0 = unknown), learned requests per minute (0 = unknown), tokens the
-- provider says remain (-1 = unknown), requests it says remain (-1 = unknown), pause in ms (0 = none).
-- A bucket no reservation has made yet takes only the learned limits and the pause; its budget
-- starts full at the first reservation.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if tonumber(ARGV[3]) > 0 then redis.call('HSET', KEYS[1], 'tpm', ARGV[3]) end
if tonumber(ARGV[4]) > 0 then redis.call('HSET', KEYS[1], 'rpm', ARGV[4]) end
local current = redis.call('HMGET', KEYS[1], 't', 'r')
if current[1] then
  local t = tonumber(current[1]) + tonumber(ARGV[1])
  local r = tonumber(current[2]) + tonumber(ARGV[2])
  if tonumber(ARGV[5]) >= 0 and tonumber(ARGV[5]) < t then t = tonumber(ARGV[5]) end
  if tonumber(ARGV[6]) >= 0 and tonumber(ARGV[6]) < r then r = tonumber(ARGV[6]) end
  redis.call('HSET', KEYS[1], 't', tostring(t), 'r', tostring(r))
end
redis.call('PEXPIRE', KEYS[1], 3600000)
if tonumber(ARGV[7]) > 0 then
  local pause = tonumber(redis.call('HGET', KEYS[1], 'pause') or '0')
  if now + tonumber(ARGV[7]) > pause then redis.call('HSET', KEYS[1], 'pause', now + tonumber(ARGV[7])) end
end
return 1
