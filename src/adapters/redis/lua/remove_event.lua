-- Forgets an event that never had a reservation (an operator removes a broken or test sale):
-- every key of it in one step, its waiting room and admissions included, so the id may be
-- created again as a new event. A reservation of any status, even one cancelled or expired,
-- refuses it: that sale's record must stay whole. `reservations` keeps every reservation ever
-- made (nothing deletes from it but this script and archive.lua), so it alone decides.
-- KEYS: settings, stock, seq, places, waiting, gaps, seen, active, bucket, reservations, holds, held, answers, outbox, drawing, codes, code_of
-- ARGV: none
-- Returns 1. Refuses: event_not_found, event_has_reservations.
if redis.call('EXISTS', K.reservations) == 1 then
  return refuse('event_has_reservations', 'a reservation was made in this event')
end
redis.call('DEL', K.settings, K.stock, K.seq, K.places, K.waiting, K.gaps, K.seen, K.active, K.bucket,
  K.reservations, K.holds, K.held, K.answers, K.outbox, K.drawing, K.codes, K.code_of)
return 1
