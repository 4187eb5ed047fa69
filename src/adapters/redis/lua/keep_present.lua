-- Users whose streams are open are there (SaleState.keep_present): each one still waiting is
-- seen now; the others are left alone (no entry is made for them).
-- KEYS: stock, waiting, seen
-- ARGV: now (ms), user...
-- Returns the number seen. Refuses: event_not_found.
local now, seen = tonumber(ARGV[1]), 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', K.waiting, ARGV[i]) then
    see(ARGV[i], now)
    seen = seen + 1
  end
end
return seen
