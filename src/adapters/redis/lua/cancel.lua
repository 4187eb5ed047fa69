-- PENDING -> CANCELLED, seats return (SaleState.cancel); cancelling again changes nothing. A
-- hold whose time ran out expires here instead, and the cancel is refused.
-- KEYS: stock, reservations, holds, held, outbox
-- ARGV: user, reservation id, now (ms)
-- Returns {id, record}. Refuses: event_not_found, reservation_not_found, invalid_state.
local user, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])

local r = owned_reservation(id, user)
if not r then
  return refuse('reservation_not_found', 'no reservation ' .. id .. ' of yours')
end
if r.status == 'CANCELLED' then
  return { r.id, encode_reservation(r) }
end
if lapsed(r, now) then
  finish(r, 'EXPIRED', now)
end
if r.status ~= 'PENDING' then
  return refuse('invalid_state', 'a ' .. r.status .. ' reservation cannot be cancelled')
end
return finish(r, 'CANCELLED', now)
