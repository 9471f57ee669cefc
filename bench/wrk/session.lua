-- HTML scenarios: every request carries the logged-in browser session cookie (BENCH_COOKIE,
-- "name=value"), as a browser would after logging in through the login page.
dofile((os.getenv("BENCH_WRK_DIR") or ".") .. "/report.lua")
wrk.headers["Cookie"] = assert(os.getenv("BENCH_COOKIE"), "BENCH_COOKIE is not set")
