-- One admission tick (SaleState.admit): ends due admissions, then, while the sale is open,
-- admits from the head of the queue in order of entry while below max_active_users, within
-- the event's token bucket.
-- KEYS: stock, places, waiting, active, bucket
-- ARGV: now (ms), opens_at (ms), admission rate per second, max active users,
--       admission TTL (ms), limit (at most this many admissions ended, and as many made:
--       a burst never holds Redis for long; the caller repeats)
-- Returns {admissions ended, admitted user...}. Refuses: event_not_found.
--
-- The bucket lives in K.bucket, one per event, and only this script changes it, atomically:
-- however many instances tick, they share it. It counts thousandths of an admission so that
-- refills are exact integers. Its time only moves forward (at = max(at, now)), and a refill
-- covers only the time after it: an instance whose clock runs behind another's refills
-- nothing, so no stretch of time is ever paid out twice.
local now, opens_at, rate, max_active, ttl, limit =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6])

local due = redis.call('ZRANGEBYSCORE', K.active, '-inf', int(now), 'LIMIT', 0, limit)
for _, user in ipairs(due) do
  local place = read_place(user)
  place.status = 'EXPIRED'
  write_place(user, place)
  redis.call('ZREM', K.active, user)
end
local reply = { #due }
if now < opens_at or sold_out() or sale_state() ~= 'OPEN' then
  return reply
end

local bucket = redis.call('HMGET', K.bucket, 'tokens', 'at')
local tokens, at = tonumber(bucket[1]), tonumber(bucket[2])
tokens = math.min(rate * 1000, tokens + math.max(0, now - at) * rate)
at = math.max(at, now)

local room = math.max(0, max_active - redis.call('ZCARD', K.active))
local count = math.min(math.floor(tokens / 1000), room, redis.call('ZCARD', K.waiting), limit)
if count > 0 then
  local expires = now + ttl
  local head = redis.call('ZPOPMIN', K.waiting, count)
  for i = 1, #head, 2 do
    local user = head[i]
    write_place(user, { seq = tonumber(head[i + 1]), status = 'ADMITTED', expires = expires })
    redis.call('ZADD', K.active, expires, user)
    reply[#reply + 1] = user
  end
end
redis.call('HSET', K.bucket, 'tokens', int(tokens - count * 1000), 'at', int(at))
return reply
