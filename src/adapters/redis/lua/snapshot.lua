-- The waiting room at a glance (SaleState.snapshot): the first waiting sequence number
-- (the head), the gaps at or above it, and the counts. Gaps below the head can never matter
-- again (the head only moves forward), so they are trimmed here.
-- KEYS: stock, seq, waiting, gaps, active
-- ARGV: now (ms)
-- Returns {head, waiting, active, sold out (0/1), state, users abandoned, draw pending (0/1),
-- gap...}. Refuses: event_not_found.
local now = tonumber(ARGV[1])

local first = redis.call('ZRANGE', K.waiting, 0, 0, 'WITHSCORES')
local head
if first[2] then
  head = tonumber(first[2])
else
  head = tonumber(redis.call('GET', K.seq) or '0') + 1
end
redis.call('ZREMRANGEBYSCORE', K.gaps, '-inf', '(' .. int(head))
local reply = {
  head,
  redis.call('ZCARD', K.waiting),
  active_count(now),
  sold_out() and 1 or 0,
  sale_state(),
  tonumber(redis.call('HGET', K.stock, 'abandoned') or '0'),
  draw_pending() and 1 or 0,
}
for _, gap in ipairs(redis.call('ZRANGE', K.gaps, 0, -1)) do
  reply[#reply + 1] = tonumber(gap)
end
return reply
