-- Waiting users reading their place, their tokens (one a line) in BENCH_TOKENS.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/queue/status", {["X-Queue-Token"] = tokens[(n % #tokens) + 1]})
end
