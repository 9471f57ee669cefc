-- Unauthenticated scenarios (the /health baseline).
dofile((os.getenv("BENCH_WRK_DIR") or ".") .. "/report.lua")
