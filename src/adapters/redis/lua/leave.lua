-- A user gives up their place or admission (SaleState.leave). A waiting user's sequence
-- number becomes a gap, so that positions computed from a snapshot stay exact.
-- KEYS: stock, places, waiting, gaps, active, seen
-- ARGV: user, now (ms)
-- Returns 1 if the user had a place, 0 otherwise. Refuses: event_not_found.
local user, now = ARGV[1], tonumber(ARGV[2])

local place = current_place(user, now)
if not place then
  return 0
end
if place.status == 'WAITING' then
  redis.call('ZREM', K.waiting, user)
  redis.call('ZADD', K.gaps, place.seq, int(place.seq))
  redis.call('HDEL', K.seen, user)
elseif place.status == 'ADMITTED' then
  redis.call('ZREM', K.active, user)
end
redis.call('HDEL', K.places, user)
return 1
