-- One admission tick (SaleState.admit): ends due admissions, then, while the sale is open,
-- admits from the head of the queue in order of entry while below max_active_users, within
-- the event's token bucket. From the head, in order: a user seen within the presence timeout
-- is admitted, one absent is skipped (ABANDONED), until as many are admitted as the bucket
-- and the cap allow, the queue is empty or `limit` were skipped.
-- KEYS: stock, places, waiting, active, bucket, seen
-- ARGV: now (ms), opens_at (ms), admission rate per second, max active users,
--       admission TTL (ms), limit (at most this many admissions ended, as many made and as
--       many skipped: a burst never holds Redis for long; the caller repeats), presence
--       timeout (ms; 0: off)
-- Returns {admissions ended, users skipped, admitted user...}. Refuses: event_not_found.
--
-- The bucket lives in K.bucket, one per event, and only this script changes it, atomically:
-- however many instances tick, they share it. It counts thousandths of an admission so that
-- refills are exact integers. Its time only moves forward (at = max(at, now)), and a refill
-- covers only the time after it: an instance whose clock runs behind another's refills
-- nothing, so no stretch of time is ever paid out twice.
local now, opens_at, rate, max_active, ttl, limit, presence =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6]), tonumber(ARGV[7])

local due = redis.call('ZRANGEBYSCORE', K.active, '-inf', int(now), 'LIMIT', 0, limit)
for _, user in ipairs(due) do
  local place = read_place(user)
  place.status = 'EXPIRED'
  write_place(user, place)
  redis.call('ZREM', K.active, user)
end
local reply = { #due, 0 }
if now < opens_at or sold_out() or sale_state() ~= 'OPEN' then
  return reply
end

local bucket = redis.call('HMGET', K.bucket, 'tokens', 'at')
local tokens, at = tonumber(bucket[1]), tonumber(bucket[2])
tokens = math.min(rate * 1000, tokens + math.max(0, now - at) * rate)
at = math.max(at, now)

local room = math.max(0, max_active - redis.call('ZCARD', K.active))
local count = math.min(math.floor(tokens / 1000), room, redis.call('ZCARD', K.waiting), limit)
local admitted, skipped, expires = 0, 0, now + ttl
while admitted < count and skipped < limit do
  local head = redis.call('ZPOPMIN', K.waiting)
  if #head == 0 then
    break
  end
  local user, seq = head[1], tonumber(head[2])
  local gone = absent(user, now, presence)
  redis.call('HDEL', K.seen, user)
  if gone then
    write_place(user, { seq = seq, status = 'ABANDONED', expires = 0 })
    skipped = skipped + 1
  else
    write_place(user, { seq = seq, status = 'ADMITTED', expires = expires })
    redis.call('ZADD', K.active, expires, user)
    reply[#reply + 1] = user
    admitted = admitted + 1
  end
end
if skipped > 0 then
  redis.call('HINCRBY', K.stock, 'abandoned', skipped)
  reply[2] = skipped
end
redis.call('HSET', K.bucket, 'tokens', int(tokens - admitted * 1000), 'at', int(at))
return reply
