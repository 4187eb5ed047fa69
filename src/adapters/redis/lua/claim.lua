-- Takes up to `limit` outbox entries for a relay, in one step: first those this consumer took
-- before and did not acknowledge (its publish failed: it retries them), then those other
-- consumers left idle for `idle` ms (that relay is presumed dead), then new ones. One round
-- trip, and a flat answer the adapter reads without redis-py's per-entry parsing.
-- KEYS: outbox
-- ARGV: group, consumer, limit, idle (ms)
-- Returns {entry id, reservation id, record, ...}, in no particular order, where an
-- operator's change (change_event.lua) or a part of a draw (admit.lua) has '' for the
-- reservation id and its JSON for the record; {} when the stream has no such group (no such
-- event).
local group, consumer, limit, idle = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local taken, seen, count = {}, {}, 0

-- An entry deleted while still pending has no fields (false); XAUTOCLAIM clears it later.
local function take(entries)
  for _, entry in ipairs(entries) do
    local id, fields = entry[1], entry[2]
    if fields and not seen[id] then
      seen[id] = true
      count = count + 1
      local values = {}
      for i = 1, #fields, 2 do
        values[fields[i]] = fields[i + 1]
      end
      taken[#taken + 1] = id
      taken[#taken + 1] = values['id'] or ''
      taken[#taken + 1] = values['reservation'] or values['change'] or values['draw']
        or values['code']
    end
  end
end

-- Reads an XREADGROUP reply (nil when there is nothing to read).
local function take_read(reply)
  if reply then
    take(reply[1][2])
  end
end

-- Only the first read can find the group missing: the script runs in one step.
local pending = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', limit,
  'STREAMS', K.outbox, '0')
if type(pending) == 'table' and pending.err then
  if string.sub(pending.err, 1, 7) == 'NOGROUP' then
    return {}
  end
  return pending
end
take_read(pending)
if count < limit then
  take(redis.call('XAUTOCLAIM', K.outbox, group, consumer, idle, '0-0', 'COUNT', limit - count)[2])
end
if count < limit then
  take_read(redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', limit - count,
    'STREAMS', K.outbox, '>'))
end
return taken
