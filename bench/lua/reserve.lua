-- Admitted users reserving one seat each time, their tokens (one a line) in BENCH_TOKENS.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local body = '{"eventId":"' .. os.getenv("BENCH_EVENT") .. '","quantity":1}'
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json", ["X-Queue-Token"] = tokens[(n % #tokens) + 1]}
  return wrk.format("POST", "/api/v1/tickets/reserve", headers, body)
end
