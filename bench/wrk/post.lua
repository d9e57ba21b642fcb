-- POST a JSON event to a path; every request a new id (distinct) unless REPEAT is set.
-- wrk -s post.lua <url> -- <path> <token> <mode: distinct|repeat> <run id>
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  path, token, mode, run = args[1], args[2], args[3], args[4]
end

function request()
  counter = counter + 1
  local id
  if mode == "repeat" then id = run .. "-same" else id = run .. "-" .. tid .. "-" .. counter end
  local body = '{"id":"' .. id .. '","title":"Benchmark event ' .. id .. '","impact":"medium"}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-Hub-Token"] = token}, body)
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, " ..
    "\"errors_status\": %d, \"errors_connect\": %d, \"errors_read\": %d, \"errors_write\": %d, \"errors_timeout\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
