-- GET of the URL given to wrk (the baseline endpoint).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
