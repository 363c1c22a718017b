-- Take or keep one of a provider's concurrent-call slots, for every worker replica at once.
-- KEYS[1]: the provider's slots, a sorted set of call ids scored by when their hold lapses (a
-- worker that dies stops renewing, and its slot frees itself). ARGV: the call id, the number of
-- slots, how long the hold lasts in ms. A call that already holds a slot renews it.
-- Returns 1 when the call holds a slot, 0 when all are taken.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return 1
