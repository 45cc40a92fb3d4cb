-- wrk script for Benchmarks/ingest.sh: every ingest workload in one file, chosen by arguments.
--
--   wrk -t2 -c64 -d10s -s Benchmarks/ingest.lua URL -- MODE COUNT KEY THREADS
--
-- Each wrk thread owns the items i ≡ thread (mod threads), so no two connections report on the
-- same service at once and every flip request really changes a status. wrk's -d bounds the run;
-- Benchmarks/ingest-seed.py makes the items exist first.
--
-- MODE
--   push-same    health/report of s<i> on bench/push/n<i mod 100>, OPERATIONAL as seeded: nothing
--                changes but the last-seen time
--   push-flip    health/report alternating DEGRADED / OPERATIONAL: every request is a status change
--   push-refused the same request with the status BOGUS: refused with 400 after authentication and
--                JSON decoding, before any database work (the request path's own ceiling)
--   push-create  health/report of a new service every request (c<thread>-<n> on bench/new/n<n mod 100>)
--   backup       backup/report (service mode, success) for the pushed services
--   operator     operator/status of node bench/op/n<i> with 200 services, statuses unchanged
--   operator-flip  the same, all 200 statuses alternating every pass
--   pushgateway  Prometheus Pushgateway: POST /metrics/job/itops/node/<node>/service/s<i>, value alternating
--                (one group per i < COUNT)
local nextId = 0

function setup(thread)
  thread:set("tid", nextId)
  nextId = nextId + 1
end

function init(args)
  mode = args[1]
  count = tonumber(args[2])
  key = args[3]
  nthreads = tonumber(args[4])  -- wrk's -t: setup() runs per thread as it starts, so it cannot count them
  per = math.max(1, math.floor((count - tid + nthreads - 1) / nthreads))
  counter = 0
  bodies = {}
  jsonHeaders = { ["Content-Type"] = "application/json", ["X-API-Key"] = key }
  textHeaders = { ["Content-Type"] = "text/plain" }
end

local function operatorBody(node, status)
  local parts = {}
  for s = 0, 199 do
    parts[#parts + 1] = string.format(
      '{"name":"svc-%d","status":"%s","replicas":3,"readyReplicas":3,"slaGroup":"g%d","workloadType":"Deployment"}',
      s, status, s % 10)
  end
  return string.format('{"nodeId":"bench/op/n%d","operatorVersion":"1.0.0","services":[%s]}', node,
    table.concat(parts, ","))
end

function request()
  local i = tid + nthreads * (counter % per)
  local pass = math.floor(counter / per)
  counter = counter + 1
  local flip = (pass % 2 == 0) and "DEGRADED" or "OPERATIONAL"
  if mode == "push-same" or mode == "push-flip" or mode == "push-refused" then
    local status = mode == "push-flip" and flip or (mode == "push-refused" and "BOGUS" or "OPERATIONAL")
    return wrk.format("POST", "/api/v1/health/report", jsonHeaders, string.format(
      '{"service":"s%d","nodeId":"bench/push/n%d","status":"%s","message":"pass %d"}', i, i % 100, status,
      mode == "push-flip" and pass or 0))
  elseif mode == "push-create" then
    return wrk.format("POST", "/api/v1/health/report", jsonHeaders, string.format(
      '{"service":"c%d-%d","nodeId":"bench/new/n%d","status":"OPERATIONAL"}', tid, counter, counter % 100))
  elseif mode == "backup" then
    return wrk.format("POST", "/api/v1/backup/report", jsonHeaders, string.format(
      '{"service":"s%d","nodeId":"bench/push/n%d","status":"success","sizeBytes":5242880,"message":"dump ok"}',
      i, i % 100))
  elseif mode == "operator" or mode == "operator-flip" then
    local status = mode == "operator-flip" and flip or "OPERATIONAL"
    local cacheKey = i .. status
    local body = bodies[cacheKey]
    if body == nil then
      body = operatorBody(i, status)
      bodies[cacheKey] = body
    end
    return wrk.format("POST", "/api/v1/operator/status", jsonHeaders, body)
  elseif mode == "pushgateway" then
    i = i % count  -- COUNT 1 is one group for every thread
    return wrk.format("POST", string.format("/metrics/job/itops/node/n%d/service/s%d", i % 100, i), textHeaders,
      string.format("itops_service_status %d\n", pass % 2))
  end
  error("unknown mode " .. tostring(mode))
end
