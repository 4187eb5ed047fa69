-- Forgets a finished sale (ticketing archive): every key of the event in one step, and only
-- while nothing is left to happen in it: nobody waiting or admitted, no seat held, no message
-- left to relay. PostgreSQL keeps the sale. An admission that ran out counts as ended even
-- before a tick swept it: a sale with no API instance left to tick it can still be archived.
-- KEYS: settings, stock, seq, places, waiting, gaps, seen, active, bucket, reservations, holds, held, answers, outbox, drawing, codes, code_of
-- ARGV: now (ms)
-- Returns {1 if forgotten else 0, users waiting, users admitted, seats held, messages not relayed}.
local waiting = redis.call('ZCARD', K.waiting)
local admitted = active_count(tonumber(ARGV[1]))
local held = tonumber(redis.call('HGET', K.stock, 'pending') or '0')
local unrelayed = redis.call('XLEN', K.outbox)
if waiting + admitted + held + unrelayed > 0 then
  return { 0, waiting, admitted, held, unrelayed }
end
redis.call('DEL', K.settings, K.stock, K.seq, K.places, K.waiting, K.gaps, K.seen, K.active, K.bucket,
  K.reservations, K.holds, K.held, K.answers, K.outbox, K.drawing, K.codes, K.code_of)
return { 1, 0, 0, 0, 0 }
