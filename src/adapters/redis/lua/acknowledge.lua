-- Removes delivered outbox entries: acknowledged for the group and deleted from the stream
-- together, so that the stream holds exactly the entries not yet delivered.
-- KEYS: outbox
-- ARGV: group, entry id...
-- Returns the number of entries deleted.
local group = ARGV[1]
-- unpack() is bounded by Lua's C stack (about 8000 values); a relay may acknowledge more.
local BATCH = 1000

local deleted = 0
for first = 2, #ARGV, BATCH do
  local last = math.min(first + BATCH - 1, #ARGV)
  redis.call('XACK', K.outbox, group, unpack(ARGV, first, last))
  deleted = deleted + redis.call('XDEL', K.outbox, unpack(ARGV, first, last))
end
return deleted
