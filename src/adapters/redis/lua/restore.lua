-- Rebuilds an event's seats and reservations from the durable record (ticketing reconcile
-- --repair), in one step so that no request ever sees half of it: the settings, the stock
-- counters, every reservation record, the holds and each user's held seats. The admission
-- bucket and the outbox stream and group are created only if missing; the waiting room and the
-- idempotency answers are not in PostgreSQL and stay as they are. It replaces, it does not
-- merge: run it while nothing reserves on the event. Works on a missing event too.
-- KEYS: settings, stock, bucket, reservations, holds, held, outbox, codes
-- ARGV: settings JSON, remaining, pending, confirmed, full bucket (thousandths), opens_at (ms),
--   outbox group, the draw's state ('' without a draw), c, then c (category, remaining,
--   pending, confirmed), then k, then k (code digest, code record: lib.lua) pairs, then n,
--   then n (id, record) pairs, then m, then m (expiry, id) pairs,
--   then the rest as (held field, seats) pairs. One HSET/ZADD per item: unpack() is bounded
--   to ~8000 values.
-- Returns n, the reservations written.
redis.call('SET', K.settings, ARGV[1])
local settings = cjson.decode(ARGV[1])
redis.call('HSET', K.stock, 'remaining', ARGV[2], 'pending', ARGV[3], 'confirmed', ARGV[4],
  'state', settings.state or 'OPEN')
if ARGV[8] ~= '' then
  -- A stock hash rebuilt from nothing: before the opening its draw is still to come, after
  -- it the draw was made (its record is in PostgreSQL) and is not made again.
  redis.call('HSETNX', K.stock, 'draw', ARGV[8])
end
redis.call('HSETNX', K.bucket, 'tokens', ARGV[5])
redis.call('HSETNX', K.bucket, 'at', ARGV[6])
if redis.call('EXISTS', K.outbox) == 0 then
  redis.call('XGROUP', 'CREATE', K.outbox, ARGV[7], '0', 'MKSTREAM')
end
redis.call('DEL', K.reservations, K.holds, K.held)
local i = 9
local c = tonumber(ARGV[i])
for j = 1, c do
  local at = i + 4 * (j - 1)
  local category = ARGV[at + 1]
  redis.call('HSET', K.stock, category_field('remaining', category), ARGV[at + 2],
    category_field('pending', category), ARGV[at + 3], category_field('confirmed', category),
    ARGV[at + 4])
end
i = i + 4 * c + 1
redis.call('DEL', K.codes)
local k = tonumber(ARGV[i])
for j = 1, k do
  redis.call('HSET', K.codes, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
end
i = i + 2 * k + 1
local n = tonumber(ARGV[i])
for j = 1, n do
  redis.call('HSET', K.reservations, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
end
i = i + 2 * n + 1
local m = tonumber(ARGV[i])
for j = 1, m do
  redis.call('ZADD', K.holds, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
end
i = i + 2 * m + 1
while i < #ARGV do
  redis.call('HSET', K.held, ARGV[i], ARGV[i + 1])
  i = i + 2
end
return n
