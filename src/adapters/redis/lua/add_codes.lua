-- Issues a presale's access codes (SaleState.add_codes), all or none.
-- KEYS: stock, codes
-- ARGV: n, then n (digest, max uses, categories: "a,b" or '' for any)
-- Returns n. Refuses: event_not_found, code_exists.
local n = tonumber(ARGV[1])
for j = 1, n do
  if redis.call('HEXISTS', K.codes, ARGV[2 + 3 * (j - 1)]) == 1 then
    return refuse('code_exists', 'one of the codes was issued already')
  end
end
local issued = redis.call('HLEN', K.codes)
for j = 1, n do
  local at = 2 + 3 * (j - 1)
  write_code(ARGV[at], { issued = issued + j, max_uses = tonumber(ARGV[at + 1]), uses = 0,
    categories = ARGV[at + 2] })
end
return n
