#!/usr/bin/env bash
# A public status page with 100 SLA groups under load, against GET /health of the same run.
#
#   Benchmarks/status-page.sh       # about 1 minute with DURATION=10
#
# Builds `itops` in release mode (SKIP_BUILD=1 skips it), installs wrk from Debian's packages when
# missing, starts `itops serve` on 127.0.0.1 with a temporary data dir, seeds PAGE_GROUPS SLA groups of
# SERVICES services each (one in ten down, so bars and incidents are not all green), publishes one page
# showing every group, and runs wrk (bounded: -d${DURATION}s, 64 connections, 2 threads) against
# /health, the page as a browser asks for it (Accept-Encoding: gzip), the page uncompressed, its JSON
# and a badge, then /health again. Prints req/s, p50/p99, the ratio to the first /health, the size of
# each answer, and how long the first build of the page (cold) took.
#
# Environment: DURATION (10), CONNECTIONS (64), THREADS (2), PAGE_GROUPS (100), SERVICES (10), SKIP_BUILD.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PAGE_GROUPS=${PAGE_GROUPS:-100}
SERVICES=${SERVICES:-10}
BIN="$ROOT/.build/release/itops"

command -v wrk >/dev/null || {
  echo "installing wrk with apt-get" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >&2
}
[ -n "${SKIP_BUILD:-}" ] || (cd "$ROOT" && swift build -c release --product itops >&2)
[ -x "$BIN" ] || { echo "no release build at $BIN" >&2; exit 1; }
ulimit -n 8192 2>/dev/null || true

WORK=$(mktemp -d)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
KEY=bench-operator-key-0123456789
ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK/data" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) \
  ITOPS_OPERATOR_API_KEY=$KEY ITOPS_ADMIN_EMAIL=bench@example.com ITOPS_ADMIN_PASSWORD=bench-password \
  ITOPS_LOG_LEVEL=warning "$BIN" serve >>"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 3000); do
  curl -sf -o /dev/null "$URL/ready" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.01
done

# Seed, publish, and time the first (cold) build of the page.
python3 - "$URL" "$KEY" "$PAGE_GROUPS" "$SERVICES" <<'PY'
import json, sys, time, urllib.request
url, key, groups, services = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def call(path, body, headers):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request) as response:
        return json.load(response)
for g in range(groups):
    call("/api/v1/operator/status", {
        "nodeId": f"bench/cluster-{g}",
        "services": [{"name": f"svc-{s}", "status": "DOWN" if s == 0 and g % 10 == 0 else "OPERATIONAL", "slaGroup": f"group-{g}"} for s in range(services)],
        "slaGroups": [{"name": f"group-{g}", "tier": "high"}]}, {"X-API-Key": key})
login = call("/graphql", {"query": "mutation { login(email: \"bench@example.com\", password: \"bench-password\") { token } }"}, {})
token = login["data"]["login"]["token"]
page = call("/graphql", {"query": "mutation($i: StatusPageInput!) { createStatusPage(input: $i) { url } }",
    "variables": {"i": {"slug": "bench", "title": "Bench Cloud", "groups": [{"slaGroup": f"group-{g}", "label": f"System {g}"} for g in range(groups)]}}},
    {"Authorization": "Bearer " + token})
assert "errors" not in page, page
start = time.monotonic()
with urllib.request.urlopen(url + "/status/bench") as response:
    size = len(response.read())
print(f"seeded {groups} groups x {services} services; first build of the page (cold, {groups} groups): {(time.monotonic() - start) * 1000:.0f} ms; page {size:,} bytes")
PY

summarize() { awk -f "$ROOT/Benchmarks/wrk-summary.awk"; }
HEALTH=""
run() { # NAME PATH [HEADER]
  local name=$1 path=$2 header=${3:-X-Bench: 1} out rate p50 p99 bad size
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 5s -H "$header" "$URL$path")
  read -r rate p50 p99 bad _ <<<"$(summarize <<<"$out")"
  [ -z "$HEALTH" ] && HEALTH=$rate
  size=$(curl -s -o /dev/null -w '%{size_download}' -H "$header" "$URL$path")
  python3 -c "import sys; n, r, a, b, h, bad, size = sys.argv[1:]; r, h = float(r), float(h)
print(f'{n:<34} {r:>10,.0f} req/s  p50 {float(a):7.2f} ms  p99 {float(b):7.2f} ms  ratio {r / h:6.3f}  {int(size):>8,} B' + ('' if bad == '0' else f'  [non-2xx {bad}]'))" \
    "$name" "$rate" "$p50" "$p99" "$HEALTH" "$bad" "$size"
}
echo "itops release build $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes'); wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s per row, loopback, $(nproc) cores shared by server and wrk; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run "GET /health" /health
run "GET /status/bench (gzip)" /status/bench "Accept-Encoding: gzip"
run "GET /status/bench (identity)" /status/bench
run "GET /status/bench.json (gzip)" /status/bench.json "Accept-Encoding: gzip"
run "GET badge uptime.svg" "/api/v1/badges/group-1/uptime.svg?period=30d"
run "GET /health again" /health
