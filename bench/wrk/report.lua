-- Shared by bearer.lua and session.lua: the request, status counting and the JSON report.
--
-- Environment (set by bench/load.py):
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (POST), sent as application/json
-- Every request says it arrived over HTTPS (X-Forwarded-Proto: https), as the TLS-terminating
-- proxy in front of gunicorn would: production redirects plain HTTP to HTTPS.
--
-- wrk counts only socket errors and timeouts by itself (3xx is "success"); response() counts
-- every status outside 2xx too, so an HTTPS redirect or a login page can never pass for a result.

local threads = {}

wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["X-Forwarded-Proto"] = "https"
wrk.headers["Accept"] = "application/json, text/html"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  statuses = {}
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  local bad_statuses = {}
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    for status, count in pairs(thread:get("statuses")) do
      local key = tostring(status)
      bad_statuses[key] = (bad_statuses[key] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(bad_statuses) do
    table.insert(parts, string.format('"%s": %d', status, count))
  end
  local seconds = summary.duration / 1e6
  io.write("BENCH_JSON ")
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "requests_per_s": %.2f, "bytes": %d, ' ..
    '"latency_ms": {"mean": %.3f, "stdev": %.3f, "max": %.3f, "p50": %.3f, "p90": %.3f, "p95": %.3f, "p99": %.3f}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, "non_2xx": %d}, ' ..
    '"non_2xx_statuses": {%s}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency.mean / 1000, latency.stdev / 1000, latency.max / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status, bad_total, table.concat(parts, ", ")))
end
