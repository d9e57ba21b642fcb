-- GET one of a list of paths in turn, with a bearer token.
-- wrk -s get.lua <url> -- <token> <path1> <path2> ...
local index = 0

function init(args)
  token = args[1]
  paths = {}
  for i = 2, #args do paths[#paths + 1] = args[i] end
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index], {["Authorization"] = "Bearer " .. token})
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, " ..
    "\"errors_status\": %d, \"errors_connect\": %d, \"errors_read\": %d, \"errors_write\": %d, \"errors_timeout\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
