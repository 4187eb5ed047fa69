-- Unique users entering one event: BENCH_EVENT, users BENCH_PREFIX2, BENCH_PREFIX3, ...
-- (wrk calls request() once to check the script, and never sends that first one).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local event, prefix = os.getenv("BENCH_EVENT"), os.getenv("BENCH_PREFIX")
local headers = {["Content-Type"] = "application/json"}
local n = 0
request = function()
  n = n + 1
  local body = '{"eventId":"' .. event .. '","userId":"' .. prefix .. n .. '"}'
  return wrk.format("POST", "/api/v1/queue/enter", headers, body)
end
