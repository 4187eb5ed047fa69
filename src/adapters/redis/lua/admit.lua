-- One admission tick (SaleState.admit): ends due admissions, then, while the sale is open,
-- admits from the head of the queue in order of entry while below max_active_users, within
-- the event's token bucket. From the head, in order: a user seen within the presence timeout
-- is admitted, one absent is skipped (ABANDONED), until as many are admitted as the bucket
-- and the cap allow, the queue is empty or `limit` were skipped.
-- KEYS: stock, places, waiting, active, bucket, seen, gaps, outbox, drawing
-- ARGV: now (ms), opens_at (ms), admission rate per second, max active users,
--       admission TTL (ms), limit (at most this many admissions ended, as many made and as
--       many skipped: a burst never holds Redis for long; the caller repeats), presence
--       timeout (ms; 0: off), draw seed ('' when the sale draws no pre-queue), entrants per
--       recorded part of the draw
-- Returns {admissions ended, users skipped, draw unfinished (0/1), admitted user...}. Refuses:
-- event_not_found.
--
-- The bucket lives in K.bucket, one per event, and only this script changes it, atomically:
-- however many instances tick, they share it. It counts thousandths of an admission so that
-- refills are exact integers. Its time only moves forward (at = max(at, now)), and a refill
-- covers only the time after it: an instance whose clock runs behind another's refills
-- nothing, so no stretch of time is ever paid out twice.
local now, opens_at, rate, max_active, ttl, limit, presence, seed, part_size =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])

-- The drawn pre-queue (SaleState._draw, ticketing_core/draw.py), from the first tick at or
-- after the opening, `part_size` entrants a call so that no call holds Redis for long: first
-- each entrant (waiting, entered before the opening: seq <= last_preopen_seq) is keyed into
-- K.drawing as "<SHA-1(seed .. ':' .. user)><user>" (one score: the set keeps them in that
-- byte order), then they are taken from it in order and renumbered into the numbers just
-- below the first entry after the opening, a part of the recorded order per call. Whoever
-- left meanwhile is passed over (leave.lua takes them out of K.drawing), and numbers left
-- unused become gaps. `draw` in the stock hash: pending -> keying -> placing -> done, with the
-- entrants' last number fixed in `draw_last` when it leaves pending. Answers whether the draw
-- is done.
local function draw_step()
  local phase = redis.call('HGET', K.stock, 'draw')
  if phase == 'pending' then
    -- The entrants are fixed here: from now on enter.lua counts no entry as before the opening.
    redis.call('HSET', K.stock, 'draw', 'keying', 'draw_cursor', 0, 'draw_last',
      redis.call('HGET', K.stock, 'last_preopen_seq') or '0')
    phase = 'keying'
  end
  local last = tonumber(redis.call('HGET', K.stock, 'draw_last'))
  -- One part size for the whole draw, fixed when placing begins, whatever later callers pass.
  part_size = tonumber(redis.call('HGET', K.stock, 'draw_part_size') or part_size)
  if phase == 'keying' then
    local cursor = tonumber(redis.call('HGET', K.stock, 'draw_cursor'))
    local batch = redis.call('ZRANGEBYSCORE', K.waiting, '(' .. int(cursor), last, 'WITHSCORES',
      'LIMIT', 0, part_size)
    for i = 1, #batch, 2 do
      redis.call('ZADD', K.drawing, 0, redis.sha1hex(seed .. ':' .. batch[i]) .. batch[i])
      cursor = tonumber(batch[i + 1])
    end
    if #batch / 2 == part_size then
      redis.call('HSET', K.stock, 'draw_cursor', int(cursor))
      return false
    end
    local count = redis.call('ZCARD', K.drawing)
    -- The old numbers' gaps mean nothing in the new numbering; a buyer placed and then gone
    -- leaves a gap at the new number (leave.lua), one gone before being placed, none.
    redis.call('ZREMRANGEBYSCORE', K.gaps, '-inf', last)
    redis.call('HSET', K.stock, 'draw', 'placing', 'draw_part_size', int(part_size),
      'draw_next', int(last - count + 1),
      'draw_first', int(last - count + 1), 'draw_part', 0,
      'draw_parts', int(math.max(1, math.ceil(count / part_size))))
    return false
  end
  local next_seq = tonumber(redis.call('HGET', K.stock, 'draw_next'))
  local first = tonumber(redis.call('HGET', K.stock, 'draw_first'))
  local part = redis.call('HINCRBY', K.stock, 'draw_part', 1)
  local parts = tonumber(redis.call('HGET', K.stock, 'draw_parts'))
  local taken = redis.call('ZPOPMIN', K.drawing, part_size)
  local users, first_position = {}, next_seq - first + 1
  for i = 1, #taken, 2 do
    local user = string.sub(taken[i], 41)
    local place = read_place(user)
    if place and place.status == 'WAITING' and place.seq <= last then
      place.seq = next_seq
      write_place(user, place)
      redis.call('ZADD', K.waiting, next_seq, user)
      users[#users + 1] = user
      next_seq = next_seq + 1
    end
  end
  redis.call('XADD', K.outbox, '*', 'draw', cjson.encode({ type = 'queue.drawn', part = part,
    parts = parts, firstPosition = first_position, users = users,
    occurredAt = int(now) })) -- occurredAt as text: cjson rounds numbers to 14 digits
  redis.call('HSET', K.stock, 'draw_next', int(next_seq))
  if part < parts then
    return false
  end
  -- Numbers of entrants who left before being placed: at most one per leaver.
  for unused = next_seq, last do
    redis.call('ZADD', K.gaps, unused, int(unused))
  end
  redis.call('HSET', K.stock, 'draw', 'done')
  return true
end

local due = redis.call('ZRANGEBYSCORE', K.active, '-inf', int(now), 'LIMIT', 0, limit)
for _, user in ipairs(due) do
  local place = read_place(user)
  place.status = 'EXPIRED'
  write_place(user, place)
  redis.call('ZREM', K.active, user)
end
local reply = { #due, 0, 0 }
if now >= opens_at and draw_pending() and not draw_step() then
  reply[3] = 1 -- more of the draw to do: nobody is admitted before it is done
  return reply
end
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
local presence_since = tonumber(redis.call('HGET', K.stock, 'presence_since') or '0')
while admitted < count and skipped < limit do
  local head = redis.call('ZPOPMIN', K.waiting)
  if #head == 0 then
    break
  end
  local user, seq = head[1], tonumber(head[2])
  local gone = absent(user, now, presence, presence_since)
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
