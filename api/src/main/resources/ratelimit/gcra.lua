-- Submit rate limits, GCRA (generic cell rate algorithm), for every api replica at once. Each key
-- holds one policy's theoretical arrival time (TAT, epoch microseconds): the moment its quota is
-- whole again. A request is admitted when, after it, the TAT lies no further ahead than the burst
-- (quota x interval); it moves the TAT on by one interval (60 s / quota). A key whose TAT has
-- passed is the same as no key, so each expires then. All policies of a request are checked
-- first, and charged only if every one of them admits it: a refused request costs nothing.
--
-- KEYS[i]: a policy's TAT. ARGV[1]: 1 to charge, 0 to look only. Then per key, in order: the
-- interval and the burst, in microseconds.
-- Returns {admitted (1 or 0), then per key: requests left, microseconds until one more is left
-- (0 when the quota is whole), microseconds until this request would be admitted (0 if now)}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local charge = ARGV[1] == '1'
local admitted = 1
local states = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = math.max(tonumber(redis.call('GET', key)) or now, now)
  local after = tat + interval
  local wait = math.max(0, after - now - burst)
  if wait > 0 then admitted = 0 end
  states[i] = {tat, after, wait, interval, burst}
end
local out = {admitted}
for i, key in ipairs(KEYS) do
  local s = states[i]
  local tat = s[1]
  if admitted == 1 and charge then
    tat = s[2]
    redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
  end
  local room = s[5] - (tat - now)
  local left = math.max(0, math.floor(room / s[4]))
  local next = 0
  if tat > now then next = math.max(0, (left + 1) * s[4] - room) end
  out[#out + 1] = left
  out[#out + 1] = math.ceil(next)
  out[#out + 1] = math.ceil(s[3])
end
return out
