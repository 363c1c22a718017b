-- Adjust one bucket after a call: give back (or charge more) tokens and requests, learn the
-- provider's real limits, tighten to what the provider says remains, and pause after a 429.
--
-- KEYS[1]: the bucket. ARGV: tokens to give back (negative: charge more), requests to give back,
-- learned tokens per minute (0 = unknown), learned requests per minute (0 = unknown), tokens the
-- provider says remain (-1 = unknown), requests it says remain (-1 = unknown), pause in ms (0 = none),
-- 1 when this is what a response taught (the bucket's state is then known, see room.lua).
-- A cold bucket (not known yet) takes what remains as its level rather than the smaller of the two:
-- it has never seen the provider's bucket, the headers have. A response without headers makes it
-- known at the level it assumed; a refund (requests given back: the call never happened) leaves it
-- cold and lets the next call probe. A 429 pauses the bucket and empties it: its levels start again
-- from zero when the pause ends, so waiting calls are released as the provider refills.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if tonumber(ARGV[3]) > 0 then redis.call('HSET', KEYS[1], 'tpm', ARGV[3]) end
if tonumber(ARGV[4]) > 0 then redis.call('HSET', KEYS[1], 'rpm', ARGV[4]) end
local current = redis.call('HMGET', KEYS[1], 't', 'r', 'known', 'ts')
local remainingT, remainingR = tonumber(ARGV[5]), tonumber(ARGV[6])
local pause = tonumber(ARGV[7])
local taught = ARGV[8] == '1'
if current[1] then
  local t = tonumber(current[1]) + tonumber(ARGV[1])
  local r = tonumber(current[2]) + tonumber(ARGV[2])
  local cold = current[3] ~= '1'
  if remainingT >= 0 and (cold and taught or remainingT < t) then t = remainingT end
  if remainingR >= 0 and (cold and taught or remainingR < r) then r = remainingR end
  redis.call('HSET', KEYS[1], 't', tostring(t), 'r', tostring(r))
  if cold and taught then
    redis.call('HSET', KEYS[1], 'known', '1', 'ts', math.max(now, tonumber(current[4]) or now))
    redis.call('HDEL', KEYS[1], 'probe')
  elseif cold and tonumber(ARGV[2]) > 0 then
    -- A refund (the call never happened) of a cold bucket's probe: the next call may probe at once.
    redis.call('HDEL', KEYS[1], 'probe')
  end
end
if pause > 0 then
  local ends = now + pause
  local was = tonumber(redis.call('HGET', KEYS[1], 'pause') or '0')
  if ends > was then redis.call('HSET', KEYS[1], 'pause', ends) end
  local t = math.min(tonumber(redis.call('HGET', KEYS[1], 't') or '0'), 0)
  local r = math.min(tonumber(redis.call('HGET', KEYS[1], 'r') or '0'), 0)
  local ts = math.max(ends, tonumber(redis.call('HGET', KEYS[1], 'ts') or '0'))
  redis.call('HSET', KEYS[1], 't', tostring(t), 'r', tostring(r), 'ts', ts, 'known', '1')
  redis.call('HDEL', KEYS[1], 'probe')
end
redis.call('PEXPIRE', KEYS[1], 3600000)
return 1
