-- Expires up to `limit` PENDING holds whose time ran out, earliest first (SaleState.
-- expire_holds); their seats return. K.holds holds exactly the PENDING ones, by expiry.
-- KEYS: stock, reservations, holds, held, outbox
-- ARGV: now (ms), limit
-- Returns {id, record, id, record, ...}. Refuses: event_not_found.
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])

local reply = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.holds, '-inf', int(now), 'LIMIT', 0, limit)) do
  local done = finish(read_reservation(id), 'EXPIRED', now)
  reply[#reply + 1] = done[1]
  reply[#reply + 1] = done[2]
end
return reply
