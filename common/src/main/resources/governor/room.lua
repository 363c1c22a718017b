-- The governor's waiting room for one upstream lane (a provider), shared by every replica: calls that
-- cannot start now wait here, ordered fairly between tenants, and are granted capacity one at a time
-- as the lane's buckets refill. Nothing holds a queue message while it waits.
--
-- Fair order is start-time fair queueing in tokens: each tenant with waiting calls has a start tag;
-- the tenant with the smallest tag is served next; serving a call of cost c advances its tenant's tag
-- by c / share_weight; a tenant that had nothing waiting starts at the lane's virtual time (the tag
-- last served), so an idle tenant banks no credit and a busy one cannot push a newcomer back by more
-- than one call. Within a tenant, calls wait by priority, then arrival.
--
-- Keys (P = ARGV[2], the lane's prefix): P..'tenants' zset tenant -> start tag; P..'q:'..tenant zset
-- job -> priority rank * 1e13 + arrival; P..'jobs' hash job -> spec; P..'finish' hash tenant -> tag
-- after its last served call; P..'vt' the lane's virtual time; P..'seq' arrivals; P..'granted' hash
-- job -> spec of a call granted capacity whose message is on its way; P..'grants' zset job -> expiry;
-- P..'entered' hash job -> when it began to wait (epoch ms), for the wait a grant reports.
-- 'llmq:room:where' hash job -> lane prefix, for reads that know only the job.
--
-- A spec is JSON: {t = tenant, w = weight, c = tokens, r = rank, b = buckets}, each bucket {k = key,
-- tpm, rpm (0 = not enforced), h = share kept unspent, u = 1 for a provider's or model's bucket,
-- l = 1 for the bucket the provider's headers teach, cfg = its configured limits}.
--
-- Buckets hold a minute's tokens and requests and refill continuously (fields t, r at time ts). A
-- learning bucket that has never been seen, or whose configured limits changed, is cold: it does
-- not assume a full bucket it has not seen, but lets one probe call through (field probe, expiry)
-- until the provider's headers (adjust.lua) say what remains. After a 429 the levels start again at
-- zero when the pause ends (ts in the future), so waiting calls are released as the provider
-- refills, not all at once.
--
-- ARGV[1] is the operation:
--   enter  P job spec        -> {'go'} charged now, or {'wait', position, wait ms}; a granted call
--                               collects its grant ({'go', 'granted'}); one already waiting keeps
--                               its place
--   take   P                 -> {'go', job, ms waited (-1 unknown)} granted, {'wait', ms} or
--                               {'empty'}
--   forget P job             -> 1 when the job was waiting or granted (a grant's charge goes back)
--   where  -  job            -> {position, tokens ahead, wait ms} or {} when the job is not waiting
--   moved  P ms              -> {job, position, estimated start (epoch ms), ...} for each waiting job
--                               whose estimate moved by more than ms since it was last told
local GRANT_MS = 120000
local PROBE_MS = 15000
local MAX_WALK = 20000

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local op = ARGV[1]
local P = ARGV[2]

-- A bucket's state now: levels refilled to now (or to the end of a pause), limits, coldness.
local function state(b)
  local s = redis.call('HMGET', b.k, 't', 'r', 'ts', 'pause', 'tpm', 'rpm', 'cfg', 'known', 'probe')
  if s[7] and s[7] ~= b.cfg then
    redis.call('DEL', b.k)
    s = {}
  end
  local tpm = tonumber(s[5]) or b.tpm
  local rpm = tonumber(s[6]) or b.rpm
  local ts = tonumber(s[3]) or now
  local t = tonumber(s[1]) or tpm
  local r = tonumber(s[2]) or rpm
  local elapsed = math.max(0, now - ts)
  if tpm > 0 then t = math.min(tpm, t + elapsed * tpm / 60000) end
  if rpm > 0 then r = math.min(rpm, r + elapsed * rpm / 60000) end
  return {
    t = t, r = r, ts = math.max(ts, now), tpm = tpm, rpm = rpm,
    pause = tonumber(s[4]) or 0,
    cold = b.l == 1 and s[8] ~= '1',
    probe = tonumber(s[9]) or 0,
  }
end

-- How long until a call of c tokens fits the bucket; 0 when it fits now. A call bigger than the
-- bucket can hold fits a full one (it is charged into debt).
local function waitFor(b, st, c)
  local w = 0
  if st.pause > now then w = st.pause - now end
  if st.ts > now then w = math.max(w, st.ts - now) end
  if st.cold and st.probe > now then w = math.max(w, math.min(st.probe - now, 250)) end
  if st.tpm > 0 and not st.cold then
    local keep = b.h * st.tpm
    local need = math.min(c + keep, st.tpm * (1 - b.h))
    if st.t < need then w = math.max(w, (need - st.t) * 60000 / st.tpm) end
  end
  if st.rpm > 0 and not st.cold and st.r < 1 then
    w = math.max(w, (1 - st.r) * 60000 / st.rpm)
  end
  return math.ceil(w)
end

local function charge(b, st, c)
  redis.call('HSET', b.k, 't', tostring(st.t - c), 'r', tostring(st.r - 1), 'ts', st.ts, 'cfg', b.cfg)
  if st.cold then redis.call('HSET', b.k, 'probe', now + PROBE_MS) end
  redis.call('PEXPIRE', b.k, 3600000)
end

-- Whether the spec's buckets let it start now: 0 when they do; else the wait, and whether the
-- blocking bucket is the tenant's own (then other tenants may go first).
local function check(spec)
  local states = {}
  local wait, upstreamWait = 0, 0
  for i, b in ipairs(spec.b) do
    states[i] = state(b)
    local w = waitFor(b, states[i], spec.c)
    wait = math.max(wait, w)
    if b.u == 1 then upstreamWait = math.max(upstreamWait, w) end
  end
  return wait, upstreamWait, states
end

local function chargeAll(spec, states)
  for i, b in ipairs(spec.b) do charge(b, states[i], spec.c) end
end

-- A granted call that will not run gives its charge back. On a cold bucket the room grants nothing
-- but the probe, so this was the probe, and it never went: the next call may probe at once rather
-- than wait out PROBE_MS for headers that will not come.
local function giveBack(spec)
  for _, b in ipairs(spec.b) do
    if redis.call('EXISTS', b.k) == 1 then
      redis.call('HINCRBYFLOAT', b.k, 't', spec.c)
      redis.call('HINCRBYFLOAT', b.k, 'r', 1)
      if b.l == 1 and redis.call('HGET', b.k, 'known') ~= '1' then redis.call('HDEL', b.k, 'probe') end
    end
  end
end

-- The tenant's share_weight: the admin's latest (ShareWeights), else the one the call entered with.
local function weightOf(spec)
  return tonumber(redis.call('HGET', 'llmq:room:weights', spec.t)) or spec.w
end

local function vt()
  return tonumber(redis.call('GET', P .. 'vt') or '0')
end

-- The tenant's call of cost c is served: its tag and the lane's virtual time move on.
local function served(tenant, start, spec)
  local finish = start + spec.c / weightOf(spec)
  redis.call('HSET', P .. 'finish', tenant, finish)
  if start > vt() then redis.call('SET', P .. 'vt', start) end
  return finish
end

local function expireGrants()
  local lapsed = redis.call('ZRANGEBYSCORE', P .. 'grants', '-inf', now)
  for _, job in ipairs(lapsed) do
    redis.call('HDEL', P .. 'granted', job)
    redis.call('ZREM', P .. 'grants', job)
  end
end

local function dequeue(tenant, job)
  redis.call('ZREM', P .. 'q:' .. tenant, job)
  redis.call('HDEL', P .. 'jobs', job)
  redis.call('HDEL', 'llmq:room:where', job)
  redis.call('HDEL', P .. 'told', job)
  redis.call('HDEL', P .. 'entered', job)
  if redis.call('ZCARD', P .. 'q:' .. tenant) == 0 then redis.call('ZREM', P .. 'tenants', tenant) end
end

-- How long until buckets could hold `tokens` more tokens and `calls` more calls (states cached).
local function waitForAhead(spec, tokens, calls, states)
  local wait = 0
  for _, b in ipairs(spec.b) do
    if b.u == 1 then
      local st = states[b.k]
      if not st then
        st = state(b)
        states[b.k] = st
      end
      local w = waitFor(b, st, 0)
      if st.tpm > 0 then
        local need = tokens + b.h * st.tpm
        if st.t < need then w = math.max(w, (need - st.t) * 60000 / st.tpm) end
      end
      if st.rpm > 0 and st.r < calls then w = math.max(w, (calls - st.r) * 60000 / st.rpm) end
      wait = math.max(wait, w)
    end
  end
  return math.ceil(wait)
end

-- Where a waiting job stands: calls ahead of it in the fair order, their tokens, and the wait until
-- its buckets could hold them and it.
local function position(job)
  local spec = cjson.decode(redis.call('HGET', P .. 'jobs', job))
  local own = P .. 'q:' .. spec.t
  local tag = tonumber(redis.call('ZSCORE', P .. 'tenants', spec.t) or vt())
  local ahead, tokens, walked = 0, 0, 0
  for _, other in ipairs(redis.call('ZRANGE', own, 0, -1)) do
    if other == job then break end
    local o = cjson.decode(redis.call('HGET', P .. 'jobs', other))
    ahead, tokens, tag = ahead + 1, tokens + o.c, tag + o.c / weightOf(o)
    walked = walked + 1
    if walked > MAX_WALK then break end
  end
  local tenants = redis.call('ZRANGE', P .. 'tenants', 0, -1, 'WITHSCORES')
  for i = 1, #tenants, 2 do
    local tenant, start = tenants[i], tonumber(tenants[i + 1])
    -- Equal tags go in the order of the tenants' ids, as the sorted set has them.
    local before = function() return start < tag or (start == tag and tenant < spec.t) end
    if tenant ~= spec.t and before() then
      for _, other in ipairs(redis.call('ZRANGE', P .. 'q:' .. tenant, 0, -1)) do
        if not before() or walked > MAX_WALK then break end
        local o = cjson.decode(redis.call('HGET', P .. 'jobs', other))
        ahead, tokens, start = ahead + 1, tokens + o.c, start + o.c / weightOf(o)
        walked = walked + 1
      end
    end
  end
  return {ahead, tokens, waitForAhead(spec, tokens + spec.c, ahead + 1, {})}
end

if op == 'moved' then
  local threshold = tonumber(ARGV[3])
  local tenants = redis.call('ZRANGE', P .. 'tenants', 0, -1, 'WITHSCORES')
  local lanes = {}
  for i = 1, #tenants, 2 do
    lanes[#lanes + 1] = {
      tenant = tenants[i], tag = tonumber(tenants[i + 1]),
      jobs = redis.call('ZRANGE', P .. 'q:' .. tenants[i], 0, -1), next = 1,
    }
  end
  local states, moved = {}, {}
  local ahead, tokens = 0, 0
  while ahead < MAX_WALK do
    local pick = nil
    for _, lane in ipairs(lanes) do
      if lane.next <= #lane.jobs and (pick == nil or lane.tag < pick.tag) then pick = lane end
    end
    if pick == nil then break end
    local job = pick.jobs[pick.next]
    pick.next = pick.next + 1
    local raw = redis.call('HGET', P .. 'jobs', job)
    if raw then
      local spec = cjson.decode(raw)
      local estimate = now + waitForAhead(spec, tokens + spec.c, ahead + 1, states)
      local told = tonumber(redis.call('HGET', P .. 'told', job) or '-1')
      if told < 0 or math.abs(estimate - told) > threshold then
        redis.call('HSET', P .. 'told', job, estimate)
        moved[#moved + 1] = job
        moved[#moved + 1] = ahead
        moved[#moved + 1] = estimate
      end
      ahead, tokens = ahead + 1, tokens + spec.c
      pick.tag = pick.tag + spec.c / weightOf(spec)
    end
  end
  return moved
end

if op == 'where' then
  local lane = redis.call('HGET', 'llmq:room:where', ARGV[3])
  if not lane then return {} end
  P = lane
  if redis.call('HEXISTS', P .. 'jobs', ARGV[3]) == 0 then return {} end
  return position(ARGV[3])
end

expireGrants()

if op == 'enter' then
  local job = ARGV[3]
  local granted = redis.call('HGET', P .. 'granted', job)
  if granted then
    redis.call('HDEL', P .. 'granted', job)
    redis.call('ZREM', P .. 'grants', job)
    return {'go', 'granted'}
  end
  if redis.call('HEXISTS', P .. 'jobs', job) == 1 then
    local at = position(job)
    return {'wait', at[1], at[3]}
  end
  local spec = cjson.decode(ARGV[4])
  local start = math.max(vt(), tonumber(redis.call('HGET', P .. 'finish', spec.t) or '0'))
  if redis.call('ZCARD', P .. 'tenants') == 0 then
    local wait, _, states = check(spec)
    if wait == 0 then
      chargeAll(spec, states)
      served(spec.t, start, spec)
      return {'go'}
    end
  end
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('ZADD', P .. 'q:' .. spec.t, spec.r * 1e13 + seq, job)
  redis.call('HSET', P .. 'jobs', job, ARGV[4])
  redis.call('HSET', P .. 'entered', job, now)
  redis.call('HSET', 'llmq:room:where', job, P)
  if redis.call('ZSCORE', P .. 'tenants', spec.t) == false then
    redis.call('ZADD', P .. 'tenants', start, spec.t)
  end
  local at = position(job)
  redis.call('HSET', P .. 'told', job, now + at[3])
  return {'wait', at[1], at[3]}
end

if op == 'take' then
  local tenants = redis.call('ZRANGE', P .. 'tenants', 0, -1, 'WITHSCORES')
  if #tenants == 0 then return {'empty'} end
  local least = nil
  for i = 1, #tenants, 2 do
    local tenant, start = tenants[i], tonumber(tenants[i + 1])
    local head = redis.call('ZRANGE', P .. 'q:' .. tenant, 0, 0)[1]
    local raw = head and redis.call('HGET', P .. 'jobs', head)
    if not raw then
      if head then redis.call('ZREM', P .. 'q:' .. tenant, head) end
      if redis.call('ZCARD', P .. 'q:' .. tenant) == 0 then redis.call('ZREM', P .. 'tenants', tenant) end
    else
      local spec = cjson.decode(raw)
      local wait, upstreamWait, states = check(spec)
      if wait == 0 then
        local entered = tonumber(redis.call('HGET', P .. 'entered', head) or '')
        chargeAll(spec, states)
        dequeue(tenant, head)
        local finish = served(tenant, start, spec)
        if redis.call('ZCARD', P .. 'q:' .. tenant) > 0 then
          redis.call('ZADD', P .. 'tenants', finish, tenant)
        end
        redis.call('HSET', P .. 'granted', head, raw)
        redis.call('ZADD', P .. 'grants', now + GRANT_MS, head)
        return {'go', head, entered and tostring(now - entered) or '-1'}
      end
      if least == nil or wait < least then least = wait end
      -- The lane itself is short: nobody behind this tenant could start either.
      if upstreamWait > 0 then return {'wait', least} end
      -- Only this tenant's own limit holds it back: the next tenant may go first.
    end
  end
  if least == nil then return {'empty'} end
  return {'wait', least}
end

if op == 'forget' then
  local job = ARGV[3]
  local granted = redis.call('HGET', P .. 'granted', job)
  if granted then
    redis.call('HDEL', P .. 'granted', job)
    redis.call('ZREM', P .. 'grants', job)
    giveBack(cjson.decode(granted))
    return 1
  end
  local raw = redis.call('HGET', P .. 'jobs', job)
  if not raw then return 0 end
  dequeue(cjson.decode(raw).t, job)
  return 1
end

return redis.error_reply('unknown operation ' .. tostring(op))
