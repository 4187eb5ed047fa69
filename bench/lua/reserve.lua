-- Admitted users reserving one seat each time, their tokens (one a line) in BENCH_TOKENS;
-- of the category BENCH_CATEGORY when it is set (a sale with seat categories).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local category = os.getenv("BENCH_CATEGORY")
local body = '{"eventId":"' .. os.getenv("BENCH_EVENT") .. '","quantity":1'
  .. (category and (',"categoryId":"' .. category .. '"') or '') .. '}'
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json", ["X-Queue-Token"] = tokens[(n % #tokens) + 1]}
  return wrk.format("POST", "/api/v1/tickets/reserve", headers, body)
end
