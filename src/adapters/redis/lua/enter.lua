-- A user enters the waiting room (SaleState.enter): idempotent while they wait or are
-- admitted; otherwise a new place at the back, numbered by the event's sequence. A waiting
-- user is seen (present) now.
-- KEYS: stock, seq, places, waiting, active, seen
-- ARGV: user, now (ms), opens_at (ms)
-- Returns the view (lib.lua). Refuses: event_not_found, sale_closed, sold_out.
local user, now, opens_at = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

if sale_state() == 'CLOSED' then
  return refuse('sale_closed', 'the sale is closed')
end
if sold_out() then
  return refuse('sold_out', 'every seat is sold')
end
local place = current_place(user, now)
if not place or (place.status ~= 'WAITING' and place.status ~= 'ADMITTED') then
  place = { seq = redis.call('INCR', K.seq), status = 'WAITING', expires = 0 }
  write_place(user, place)
  redis.call('ZADD', K.waiting, place.seq, user)
  local phase = redis.call('HGET', K.stock, 'draw')
  if now < opens_at and (phase == false or phase == 'pending') then
    -- The last entry before the opening: a draw takes the waiting up to it. Once a draw has
    -- begun (by another instance's clock) no entry joins it.
    redis.call('HSET', K.stock, 'last_preopen_seq', place.seq)
  end
end
if place.status == 'WAITING' then
  see(user, now)
end
return view(user, place, now)
