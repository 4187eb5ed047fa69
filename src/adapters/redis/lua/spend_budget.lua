-- One request against one or more request budgets at once (ticketing_core.budgets.spend,
-- restated): each bucket is one string, its theoretical arrival time in microseconds of the
-- Redis server's clock, so that every instance meets the same time, kept only until the bucket
-- is full again. Either every bucket has room and each is spent, or none is.
-- KEYS: one bucket each
-- ARGV: interval (us) and tolerance (us) of each bucket, in the order of KEYS
-- Returns {0, 0} when the request passed, else {n, wait}: the bucket (from 1) that has room
-- last and the microseconds until it has (until then the request would be refused anyway).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local arrivals, longest, refused = {}, 0, 0
for n, key in ipairs(KEYS) do
  local interval, tolerance = tonumber(ARGV[2 * n - 1]), tonumber(ARGV[2 * n])
  local arrival = tonumber(redis.call('GET', key) or '0')
  if arrival < now then
    arrival = now
  end
  local wait = arrival - tolerance - now
  if wait > longest then
    longest, refused = wait, n
  end
  arrivals[n] = arrival + interval
end
if refused > 0 then
  return {refused, longest}
end
for n, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d', arrivals[n]), 'PX', math.ceil((arrivals[n] - now) / 1000) + 1)
end
return {0, 0}
