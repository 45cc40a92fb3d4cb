#!/usr/bin/env bash
# itops-agent costs, two bounded measurements (BENCHMARKS.md, "The agent"):
#
#   Benchmarks/agent.sh checks   agent CPU and RSS running CHECKS checks (default 500: half HTTP, half TCP,
#                                against a local Python HTTP target) on a PERIOD-second period (30) with
#                                full jitter, reporting to a real `itops serve`, for DURATION seconds (120).
#                                CPU is utime+stime of the agent process from /proc over the run (after a
#                                warm-up of one period); RSS is VmRSS at the end and VmHWM (peak).
#   Benchmarks/agent.sh fleet    server cost of AGENTS simulated agents (1000) syncing SERVICES services each
#                                (100): wrk posts operator/status for AGENTS node ids, statuses unchanged
#                                (every request is one agent's whole sync), FLEET_DURATION seconds (10),
#                                against GET /health of the same run; prints req/s, service updates/s, the
#                                ratio to /health and the headroom over what AGENTS agents need (AGENTS/30 syncs/s).
#
# Uses .build/$CONFIG/itops and itops-agent (CONFIG=release by default, CONFIG=debug for a debug build; the
# script builds nothing). Everything listens on 127.0.0.1; temporary data is removed at exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-checks}
CONFIG=${CONFIG:-release}
CHECKS=${CHECKS:-500}
PERIOD=${PERIOD:-30}
DURATION=${DURATION:-120}
AGENTS=${AGENTS:-1000}
SERVICES=${SERVICES:-100}
FLEET_DURATION=${FLEET_DURATION:-10}
SERVER_BIN="$ROOT/.build/$CONFIG/itops"
AGENT_BIN="$ROOT/.build/$CONFIG/itops-agent"
KEY=bench-agent-key-0123456789
for bin in "$SERVER_BIN" "$AGENT_BIN"; do [ -x "$bin" ] || { echo "missing $bin (swift build -c $CONFIG)" >&2; exit 1; }; done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
# The simulated agents send no heartbeats: a long heartbeat timeout keeps their services from turning UNKNOWN.
ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK/data" ITOPS_OPERATOR_API_KEY=$KEY ITOPS_LOG_LEVEL=${SERVER_LOG_LEVEL:-warning} \
  ITOPS_HEARTBEAT_TIMEOUT=24h \
  "$SERVER_BIN" serve >"$WORK/server.log" 2>&1 &
PIDS+=($!)
SERVER_PID=$!
for _ in $(seq 1 200); do curl -fs "$URL/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$URL/ready" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

if [ "$MODE" = checks ]; then
  TARGET_PORT=$(free_port)
  # A threaded HTTP target for the HTTP checks; the TCP checks connect to it too.
  python3 - "$TARGET_PORT" >"$WORK/target.log" 2>&1 <<'PY' &
import sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
  PIDS+=($!)
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$TARGET_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
  python3 - "$WORK/it-ops.yaml" "$URL" "$KEY" "$WORK/buffer" "$CHECKS" "$PERIOD" "$TARGET_PORT" <<'PY'
import sys
path, url, key, buffer, checks, period, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7]
lines = [f"nodeId: bench/agent/host1", "server:", f"  url: {url}", f"  apiKey: {key}", "syncInterval: 30s",
         "heartbeatInterval: 10s", f"buffer: {{directory: {buffer}}}", "services:"]
per = 5
for s in range((checks + per - 1) // per):
    lines.append(f"  - name: svc-{s}")
    lines.append("    checks:")
    for c in range(min(per, checks - s * per)):
        if (s * per + c) % 2 == 0:
            lines.append(f"      - {{type: http, url: 'http://127.0.0.1:{port}/c{s}-{c}', interval: {period}s, jitter: {period}s, timeout: 5s}}")
        else:
            lines.append(f"      - {{type: tcp, host: 127.0.0.1, port: {port}, interval: {period}s, jitter: {period}s, timeout: 5s}}")
open(path, "w").write("\n".join(lines) + "\n")
PY
  "$AGENT_BIN" run --config "$WORK/it-ops.yaml" --log-level warning >"$WORK/agent.log" 2>&1 &
  AGENT=$!
  PIDS+=($AGENT)
  sleep "$PERIOD"  # warm-up: every check has run once
  HZ=$(getconf CLK_TCK)
  start=$(cpu_ticks $AGENT); t0=$(date +%s.%N)
  sleep "$DURATION"
  end=$(cpu_ticks $AGENT); t1=$(date +%s.%N)
  rss=$(status_kb $AGENT VmRSS); hwm=$(status_kb $AGENT VmHWM)
  sent=$(grep -c . "$WORK/agent.log" || true)
  python3 - "$start" "$end" "$t0" "$t1" "$HZ" "$rss" "$hwm" "$CHECKS" "$PERIOD" "$CONFIG" <<'PY'
import sys
start, end, t0, t1, hz, rss, hwm, checks, period, config = sys.argv[1:]
seconds = float(t1) - float(t0)
cpu = (int(end) - int(start)) / int(hz)
runs = int(checks) / float(period) * seconds
print(f"agent ({config}): {checks} checks every {period} s for {seconds:.0f} s: CPU {cpu:.2f} s = {100 * cpu / seconds:.2f} % of one core "
      f"({1e3 * cpu / runs:.2f} ms per check run); RSS {int(rss) / 1024:.1f} MiB, peak {int(hwm) / 1024:.1f} MiB")
PY
  echo "agent log lines at warning level: $sent"
  curl -fs -H "X-API-Key: $KEY" "$URL/api/v1/operator/services?nodeId=bench/agent/host1" \
    | python3 -c 'import json,sys; s=json.load(sys.stdin)["services"]; print("services on the server:", len(s), "statuses:", sorted({x["status"] for x in s}))'
  exit 0
fi

# fleet
command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)" >&2; exit 1; }
cat >"$WORK/fleet.lua" <<LUA
-- operator/status of node bench/fleet/a<i> (i cycling over $AGENTS agents) with $SERVICES services, unchanged.
local agents, services, key = $AGENTS, $SERVICES, "$KEY"
local bodies = {}
for a = 0, agents - 1 do
  local parts = {}
  for s = 0, services - 1 do
    parts[#parts + 1] = string.format('{"name":"svc-%d","status":"OPERATIONAL","replicas":2,"readyReplicas":2,"workloadType":"Deployment","namespace":"prod"}', s)
  end
  bodies[a] = string.format('{"nodeId":"bench/fleet/a%d","operatorVersion":"1.0.0","services":[%s]}', a, table.concat(parts, ","))
end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/operator/status", {["Content-Type"] = "application/json", ["X-API-Key"] = key}, bodies[counter % agents])
end
LUA
# Seed: one sync per agent creates its services (not measured).
python3 - "$URL" "$KEY" "$AGENTS" "$SERVICES" <<'PY'
import http.client, sys, threading, urllib.parse
url, key, agents, services = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
u = urllib.parse.urlparse(url)
def work(w):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    for a in range(w, agents, 8):
        svc = ",".join('{"name":"svc-%d","status":"OPERATIONAL","replicas":2,"readyReplicas":2,"workloadType":"Deployment","namespace":"prod"}' % s for s in range(services))
        c.request("POST", "/api/v1/operator/status", '{"nodeId":"bench/fleet/a%d","operatorVersion":"1.0.0","services":[%s]}' % (a, svc),
                  {"Content-Type": "application/json", "X-API-Key": key})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print(f"seeded {agents} agents x {services} services")
PY
run_wrk() { # $1 label, rest: wrk args
  local label=$1; shift
  wrk -t2 -c"${CONNECTIONS:-8}" -d"${FLEET_DURATION}s" --latency "$@" >"$WORK/wrk.out" 2>&1
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out"); p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
  echo "$label $rps $p50 $p99"
}
health=$(run_wrk health "$URL/health")
fleet=$(run_wrk fleet -s "$WORK/fleet.lua" "$URL")
health2=$(run_wrk health "$URL/health")
kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server died:" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }
rss=$(status_kb $SERVER_PID VmRSS)
python3 - "$health" "$fleet" "$health2" "$AGENTS" "$SERVICES" "$rss" "$CONFIG" <<'PY'
import sys
h, f, h2 = (x.split() for x in sys.argv[1:4])
agents, services, rss, config = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
hr, fr, h2r = float(h[1]), float(f[1]), float(h2[1])
base = (hr + h2r) / 2
need = agents / 30
print(f"server ({config}): GET /health {hr:,.0f} req/s (p50 {h[2]}, p99 {h[3]}); again at the end {h2r:,.0f}")
print(f"operator/status, {services} services unchanged, {agents} node ids: {fr:,.1f} req/s = {fr * services:,.0f} service updates/s "
      f"(p50 {f[2]}, p99 {f[3]}); ratio to /health {fr / base:.4f}")
print(f"{agents} agents syncing every 30 s need {need:.1f} syncs/s: headroom {fr / need:.1f}x, i.e. {fr * 30:,.0f} such agents; server RSS {rss / 1024:.1f} MiB")
PY
