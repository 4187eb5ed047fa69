-- PENDING -> CONFIRMED (SaleState.confirm); confirming again changes nothing. A hold whose
-- time ran out expires here (its seats return) and the confirm is refused.
-- KEYS: stock, reservations, holds, held, outbox
-- ARGV: user, reservation id, now (ms)
-- Returns {id, record}. Refuses: event_not_found, reservation_not_found, hold_expired,
-- invalid_state.
local user, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])

local r = owned_reservation(id, user)
if not r then
  return refuse('reservation_not_found', 'no reservation ' .. id .. ' of yours')
end
if r.status == 'CONFIRMED' then
  return { r.id, encode_reservation(r) }
end
if lapsed(r, now) then
  finish(r, 'EXPIRED', now)
end
if r.status == 'EXPIRED' then
  return refuse('hold_expired', "the hold's time ran out; its seats went back on sale")
end
if r.status ~= 'PENDING' then
  return refuse('invalid_state', 'a ' .. r.status .. ' reservation cannot be confirmed')
end
return finish(r, 'CONFIRMED', now)
