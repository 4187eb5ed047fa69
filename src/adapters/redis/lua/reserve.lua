-- Takes seats for an admitted user (SaleState.reserve), all or nothing, and records the hold
-- and its reservation.created message in the same step. In this order: an answer already given
-- for the user's idempotency key within the window; the sale not closed; the admission; the per-user limit; the
-- stock.
-- KEYS: stock, places, active, reservations, holds, held, answers, outbox
-- ARGV: user, quantity, new reservation id, now (ms), idempotency window (ms), max per user,
--       hold TTL (ms), [idempotency key]
-- Returns {id, record}. Refuses: event_not_found, sale_closed, not_admitted, limit_exceeded, sold_out,
-- insufficient_seats.
local user, quantity, id, now, window, max_per_user, hold_ttl, key =
  ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]

-- (user, key) as one field, the user's length first so that no two pairs can collide.
local answer_field = key and (int(#user) .. ':' .. user .. key)
if answer_field then
  local answered = redis.call('HGET', K.answers, answer_field)
  local first = answered and read_reservation(answered)
  if first and now - first.created < window then
    -- The answer as it was given: the reservation as it was made.
    first.status = 'PENDING'
    first.updated = first.created
    return { first.id, encode_reservation(first) }
  end
end

if sale_state() == 'CLOSED' then
  return refuse('sale_closed', 'the sale is closed')
end
local place = current_place(user, now)
local held = tonumber(redis.call('HGET', K.held, user) or '0')
if not place or place.status ~= 'ADMITTED' then
  if place and place.status == 'COMPLETED' and held >= max_per_user then
    return refuse('limit_exceeded', 'you already hold ' .. held .. ' of ' .. max_per_user)
  end
  return refuse('not_admitted', 'wait for your turn in the queue')
end
if held + quantity > max_per_user then
  return refuse('limit_exceeded', held .. ' held + ' .. quantity .. ' asked > limit ' .. max_per_user)
end
local remaining = tonumber(redis.call('HGET', K.stock, 'remaining'))
if remaining == 0 then
  return refuse('sold_out', 'no seat is left right now')
end
if remaining < quantity then
  return refuse('insufficient_seats', 'only ' .. remaining .. ' left')
end

local r = {
  id = id,
  user = user,
  quantity = quantity,
  status = 'PENDING',
  created = now,
  expires = now + hold_ttl,
  updated = now,
}
redis.call('HINCRBY', K.stock, 'remaining', -quantity)
redis.call('HINCRBY', K.stock, 'pending', quantity)
redis.call('HINCRBY', K.held, user, quantity)
if held + quantity >= max_per_user then
  -- The user has all they may have: their admission is complete and frees its slot.
  redis.call('ZREM', K.active, user)
  place.status = 'COMPLETED'
  write_place(user, place)
end
redis.call('ZADD', K.holds, r.expires, id)
if answer_field then
  redis.call('HSET', K.answers, answer_field, id)
end
return save_reservation(r)
