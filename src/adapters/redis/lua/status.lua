-- A user's place (SaleState.status). It writes: an admission whose time ran out ends here,
-- and a waiting user is seen (present) now.
-- KEYS: stock, places, waiting, active, seen
-- ARGV: user, now (ms)
-- Returns the view (lib.lua). Refuses: event_not_found, not_in_queue.
local user, now = ARGV[1], tonumber(ARGV[2])

local place = current_place(user, now)
if not place then
  return refuse('not_in_queue', 'enter the queue first')
end
if place.status == 'WAITING' then
  see(user, now)
end
return view(user, place, now)
