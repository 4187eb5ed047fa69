-- A user gives up their place or admission (SaleState.leave). A waiting user's sequence
-- number becomes a gap, so that positions computed from a snapshot stay exact.
-- KEYS: stock, places, waiting, gaps, active, seen, drawing
-- ARGV: user, now (ms), draw seed ('' without a draw)
-- Returns 1 if the user had a place, 0 otherwise. Refuses: event_not_found.
local user, now, seed = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local place = current_place(user, now)
if not place then
  return 0
end
if place.status == 'WAITING' then
  redis.call('ZREM', K.waiting, user)
  -- An entrant of a draw under way not yet placed holds an old number, which means nothing
  -- any more: no gap (admit.lua passes over them and makes a gap of the number left unused).
  local unplaced = seed ~= '' and redis.call('ZREM', K.drawing,
    redis.sha1hex(seed .. ':' .. user) .. user) == 1
  if not unplaced then
    redis.call('ZADD', K.gaps, place.seq, int(place.seq))
  end
  redis.call('HDEL', K.seen, user)
elseif place.status == 'ADMITTED' then
  redis.call('ZREM', K.active, user)
end
redis.call('HDEL', K.places, user)
return 1
