-- A provider's circuit breaker, shared by every worker replica (SPEC §3 Fallbacks).
-- closed: calls go; each transient failure (5xx, timeout, reset) adds one to a run that any
-- answer of the provider ends; a run of ARGV[3] opens the circuit. open: no call goes for ARGV[4]
-- ms. half_open (the first operation after that): up to ARGV[5] probe calls go, each held for
-- ARGV[6] ms (a probe whose worker died lapses); a probe's success closes the circuit, its failure
-- opens it again. Answers of calls that were not probes change nothing while it is half open.
--
-- KEYS[1]: the breaker, a hash {state, failures, until}. KEYS[2]: the probes in flight, a sorted
-- set of call ids scored by when their hold lapses. ARGV[1] is the operation, ARGV[2] the call id:
--   allow    -> may the call go? verdict 'go', 'probe' (it goes as a probe) or 'wait'
--   success  -> the call was answered (any answer but a 429: the provider is up)
--   failure  -> the call failed transiently
--   release  -> the call ended without a verdict (a 429, a cancel, llmq's own failure, or no call)
-- Every operation answers {state after it, verdict, wait ms, state entered by it or ''}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local B, probes = KEYS[1], KEYS[2]
local op, id = ARGV[1], ARGV[2]
local threshold, openMs = tonumber(ARGV[3]), tonumber(ARGV[4])
local maxProbes, leaseMs = tonumber(ARGV[5]), tonumber(ARGV[6])

local s = redis.call('HMGET', B, 'state', 'failures', 'until')
local state = s[1] or 'closed'
local failures = tonumber(s[2]) or 0
local untilMs = tonumber(s[3]) or 0
local entered = ''

local function open()
  state, entered, failures, untilMs = 'open', 'open', 0, now + openMs
  redis.call('DEL', probes)
end

local function close()
  state, entered, failures, untilMs = 'closed', 'closed', 0, 0
  redis.call('DEL', probes)
end

if state == 'open' and now >= untilMs then
  state, entered = 'half_open', 'half_open'
  redis.call('DEL', probes)
end
redis.call('ZREMRANGEBYSCORE', probes, '-inf', now)
local probing = redis.call('ZSCORE', probes, id)

local verdict, wait = '', 0
if op == 'allow' then
  if state == 'closed' then
    verdict = 'go'
  elseif state == 'open' then
    verdict, wait = 'wait', untilMs - now
  elseif probing or redis.call('ZCARD', probes) < maxProbes then
    redis.call('ZADD', probes, now + leaseMs, id)
    verdict = 'probe'
  else
    -- Every probe is out: look again shortly (a probe's answer decides within its call).
    verdict, wait = 'wait', math.min(1000, openMs)
  end
elseif op == 'success' then
  if state == 'closed' then
    failures = 0
  elseif state == 'half_open' and probing then
    close()
  end
elseif op == 'failure' then
  if state == 'closed' then
    failures = failures + 1
    if failures >= threshold then open() end
  elseif state == 'half_open' and probing then
    open()
  end
elseif op == 'release' then
  redis.call('ZREM', probes, id)
else
  return redis.error_reply('unknown operation ' .. tostring(op))
end

redis.call('HSET', B, 'state', state, 'failures', failures, 'until', untilMs)
redis.call('PEXPIRE', B, 86400000)
if redis.call('EXISTS', probes) == 1 then redis.call('PEXPIRE', probes, leaseMs * 2) end
return {state, verdict, tostring(wait), entered}
