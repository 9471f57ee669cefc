-- API scenarios: every request carries the bench user's access token (BENCH_TOKEN).
dofile((os.getenv("BENCH_WRK_DIR") or ".") .. "/report.lua")
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN is not set")
