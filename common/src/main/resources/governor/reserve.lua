-- Reserve capacity in one or more token buckets at once (provider, model, tenant), atomically, for
-- every worker replica. A bucket holds up to a minute's tokens and requests and refills
-- continuously. A reservation is charged at once, even into debt; the wait it returns is the time
-- until the bucket is out of debt again. So reservations are served in arrival order, each caller
-- sleeps exactly once, and nobody polls. A reservation whose wait would pass the horizon (beyond
-- the wait it would have from full buckets, for a call too big to fit at once) is not charged at
-- all: the caller comes back later rather than book capacity far ahead (a booking far ahead cannot
-- use what calls settled meanwhile give back, so it would leave capacity idle).
--
-- KEYS[i]: a bucket. ARGV[1]: the horizon in ms. Then per bucket, in order: tokens to charge,
-- tokens per minute, requests per minute (0 = that limit is not enforced), and the share of the
-- token limit to keep unspent as a margin for estimates that run short (it costs no throughput: a
-- busy bucket refills at the same rate whatever level it hovers at). Limits learned from the
-- provider's headers (fields tpm, rpm) take precedence. A pause (field pause, epoch ms) set after a
-- 429 is a floor under the wait.
-- Returns the wait in milliseconds; negative (minus the wait) when it passes the horizon and
-- nothing was charged.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local horizon = tonumber(ARGV[1])
local wait = 0
local least = 0
local levels = {}
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  local cost = tonumber(ARGV[base + 1])
  local tpm = tonumber(ARGV[base + 2])
  local rpm = tonumber(ARGV[base + 3])
  local headroom = tonumber(ARGV[base + 4])
  local s = redis.call('HMGET', key, 't', 'r', 'ts', 'pause', 'tpm', 'rpm')
  if s[5] then tpm = tonumber(s[5]) end
  if s[6] then rpm = tonumber(s[6]) end
  local ts = tonumber(s[3]) or now
  local t = tonumber(s[1]) or tpm
  local r = tonumber(s[2]) or rpm
  local elapsed = math.max(0, now - ts)
  local w = 0
  if tpm > 0 then
    t = math.min(tpm, t + elapsed * tpm / 60000) - cost
    local keep = headroom * tpm
    if t < keep then w = math.max(w, (keep - t) * 60000 / tpm) end
    least = math.max(least, (keep - tpm + cost) * 60000 / tpm)
  end
  if rpm > 0 then
    r = math.min(rpm, r + elapsed * rpm / 60000) - 1
    if r < 0 then w = math.max(w, -r * 60000 / rpm) end
  end
  local pause = tonumber(s[4]) or 0
  if pause > now then w = math.max(w, pause - now) end
  levels[i] = {t, r}
  if w > wait then wait = w end
end
if wait > horizon + least then return -math.ceil(wait) end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 't', tostring(levels[i][1]), 'r', tostring(levels[i][2]), 'ts', now)
  redis.call('PEXPIRE', key, 3600000)
end
return math.ceil(wait)
