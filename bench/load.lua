-- wrk script: spreads requests over the paths listed in a file (one per line) and prints
-- the run's figures as one JSON line, with the p99.9 that `wrk --latency` does not show.
-- Arguments after `--`: paths_file method [body_file]
local paths, method, body

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  method = args[2]
  if args[3] then
    local file = assert(io.open(args[3], "rb"))
    body = file:read("*a")
    file:close()
  end
  math.randomseed(os.time())
end

function request()
  return wrk.format(method, paths[math.random(#paths)], nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max
  ))
end
