-- Renew one worker's entry in the live-worker registry and count the live workers, on Redis's
-- clock, so that the workers' own clocks never matter.
-- KEYS[1]: the registry, a sorted set of worker ids scored by when each entry lapses (a worker
-- that dies stops renewing, and drops out by itself). ARGV: the worker's id, how long its entry
-- lasts in ms.
-- Returns the number of live workers, this one included; negated when this worker's entry was not
-- there (its first heartbeat, or one after its entry lapsed): the others have not counted it yet.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
local live = redis.call('ZCARD', KEYS[1])
if added == 1 then return -live end
return live
