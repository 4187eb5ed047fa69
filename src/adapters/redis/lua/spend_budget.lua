-- One request against a request budget (ticketing_core.budgets.spend, restated): a bucket is
-- one string, its theoretical arrival time in microseconds of the Redis server's clock, so
-- that every instance meets the same time. Kept only until the bucket is full again.
-- KEYS: bucket
-- ARGV: interval (us), tolerance (us)
-- Returns 0 when the request passed, else the microseconds until one would.
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local arrival = tonumber(redis.call('GET', K.bucket) or '0')
if arrival < now then
  arrival = now
end
local wait = arrival - tolerance - now
if wait > 0 then
  return wait
end
arrival = arrival + interval
redis.call('SET', K.bucket, string.format('%d', arrival), 'PX', math.ceil((arrival - now) / 1000) + 1)
return 0
