#!/usr/bin/env bash
# Mixed load (issue 19): ingest with dashboards open. Reading must not starve ingest.
#
#   Benchmarks/mixed.sh                   # DURATION=120 per phase: about 6 minutes with seeding
#   DURATION=600 Benchmarks/mixed.sh      # the issue's 10-minute run
#   BIN=/path/to/itops SKIP_BUILD=1 …      # another build (before/after pairs); RSS_TRACE=FILE and
#                                         # SERVER_LOG=FILE keep a per-second RSS trace and the log
#
# Release build (SKIP_BUILD=1 skips it), SQLite `full`, loopback. Seeds PUSH_SERVICES (35,000) pushed
# services and enough operator nodes of 200 services to reach TOTAL_SERVICES (100,000). Then two phases
# of DURATION seconds each, every part bounded by it:
#   solo:  8 wrk connections flipping health/report across the pushed services, 1 syncing operator nodes;
#   mixed: the same, plus VIEWERS (4) dashboard viewers asking slaDashboardStats + slaGroups back to back.
# Prints each phase's push and sync rates, the mixed/solo ratio (target ≥ 0.8), timeouts (target 0), the
# dashboard's answers/s, p50, p99 (target p99 ≤ 50 ms), p99.9 and the slowest answer, and VmRSS sampled
# every 10 s over the mixed phase (target ≤ 300 MB, flat within ± 10 %).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-120}
PUSH_SERVICES=${PUSH_SERVICES:-35000}
TOTAL_SERVICES=${TOTAL_SERVICES:-100000}
VIEWERS=${VIEWERS:-4}
BIN=${BIN:-"$ROOT/.build/release/itops"}
LUA="$ROOT/Benchmarks/ingest.lua"
command -v wrk >/dev/null || {
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
  jobs -p | xargs -r kill 2>/dev/null || true
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -z "${SERVER_LOG:-}" ] || cp "$WORK/server.log" "$SERVER_LOG"
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
KEY=bench-operator-key-0123456789
ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK/data" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) \
  ITOPS_OPERATOR_API_KEY=$KEY ITOPS_LOG_LEVEL=warning ITOPS_GRAPHQL_RATE_LIMIT=0 "$BIN" serve >>"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 3000); do
  curl -sf -o /dev/null "$URL/ready" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.01
done
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }
cpu_s() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$SERVER/stat"; }  # the server's CPU so far (clock ticks of 10 ms)
summarize() { awk -f "$ROOT/Benchmarks/wrk-summary.awk"; }

# SERVER_LOG=FILE keeps the server's log. RSS_TRACE=FILE: VmRSS every second from here to the end, "seconds MB" per line (where the samples
# every 10 s fall between malloc trims, the trace shows the bursts and what stays).
if [ -n "${RSS_TRACE:-}" ]; then
  : >"$RSS_TRACE"
  (start=$(date +%s); while kill -0 "$SERVER" 2>/dev/null; do echo "$(($(date +%s) - start)) $(rss_mb)" >>"$RSS_TRACE"; sleep 1; done) &
fi

NODES=$(((TOTAL_SERVICES - PUSH_SERVICES) / 200))
begin=$(date +%s)
python3 "$ROOT/Benchmarks/ingest-seed.py" "$URL" "$KEY" push "$PUSH_SERVICES"
python3 "$ROOT/Benchmarks/ingest-seed.py" "$URL" "$KEY" operator "$NODES"
echo "$BIN: itops release build $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes'), $(nproc) cores shared by server, wrk and viewers; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seeded $PUSH_SERVICES pushed + $((NODES * 200)) operator services in $(($(date +%s) - begin)) s; RSS $(rss_mb) MB"

# phase NAME VIEWERS: pushes and syncs for DURATION seconds (with VIEWERS dashboard viewers); prints a row
phase() {
  local name=$1 viewers=$2 pushes syncs dash="" rss=() cpu_before
  cpu_before=$(cpu_s)
  wrk -t2 -c8 -d"${DURATION}s" --latency --timeout 5s -s "$LUA" "$URL/api/v1/health/report" -- push-flip "$PUSH_SERVICES" "$KEY" 2 >"$WORK/push.out" &
  local push_pid=$!
  wrk -t1 -c1 -d"${DURATION}s" --latency --timeout 5s -s "$LUA" "$URL/api/v1/operator/status" -- operator "$NODES" "$KEY" 1 >"$WORK/sync.out" &
  local sync_pid=$!
  local viewer_pid=""
  if [ "$viewers" -gt 0 ]; then
    python3 "$ROOT/Benchmarks/mixed-viewers.py" "$URL" "$KEY" "$viewers" "$DURATION" >"$WORK/viewers.out" &
    viewer_pid=$!
  fi
  for _ in $(seq $((DURATION / 10))); do sleep 10; rss+=("$(rss_mb)"); done
  wait "$push_pid" "$sync_pid"
  [ -n "$viewer_pid" ] && wait "$viewer_pid" && dash=$(cat "$WORK/viewers.out")
  read -r prate pp50 pp99 pbad perr <<<"$(summarize <"$WORK/push.out")"
  read -r srate _ sp99 sbad serr <<<"$(summarize <"$WORK/sync.out")"
  local cpu
  cpu=$(python3 -c "print(f'{$(cpu_s) - $cpu_before:.1f}')")
  echo "$name|$prate|$pp50|$pp99|$pbad|$perr|$srate|$sp99|$sbad|$serr|$dash|${rss[*]}|$cpu" >>"$WORK/rows"
}
phase solo 0
phase mixed "$VIEWERS"
python3 - "$WORK/rows" "$DURATION" <<'PY'
import sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
duration = float(sys.argv[2])
phases = {}
for name, prate, pp50, pp99, pbad, perr, srate, sp99, sbad, serr, dash, rss, cpu in rows:
    phases[name] = dict(push=float(prate), sync=float(srate))
    problems = "" if (pbad, perr, sbad, serr) == ("0", "-", "0", "-") else f"  [non-2xx {pbad}/{sbad}, socket errors {perr}/{serr}]"
    print(f"{name:<6} health/report flips {float(prate):8,.0f} req/s (p50 {float(pp50):.1f} ms, p99 {float(pp99):.1f} ms); "
          f"operator/status {float(srate):6,.1f} syncs/s = {float(srate) * 200:8,.0f} service updates/s (p99 {float(sp99):.1f} ms){problems}")
    if dash:
        answers, rate, p50, p99, errors, timeouts, p999, slowest, viewer_cpu = dash.split()
        print(f"       dashboards: {int(answers):,} answers in {duration:.0f} s = {float(rate):.2f}/s, p50 {float(p50):.1f} ms, "
              f"p99 {float(p99):.1f} ms, p99.9 {float(p999):.1f} ms, slowest {float(slowest):.1f} ms, errors {errors}, timeouts {timeouts}")
        print(f"       the viewers' own CPU (Python clients on the same cores): {float(viewer_cpu):.1f} s = "
              f"{float(viewer_cpu) / duration:.2f} of a core")
    print(f"       the server's CPU: {float(cpu):.1f} s = {float(cpu) / duration:.2f} of the 2 cores' 2.00")
    samples = [float(x) for x in rss.split()]
    if samples:
        spread = (max(samples) - min(samples)) / min(samples) * 100
        print(f"       RSS every 10 s: first {samples[0]:.0f} MB, last {samples[-1]:.0f} MB, min {min(samples):.0f}, "
              f"max {max(samples):.0f} (spread {spread:.0f} %): {' '.join(f'{x:.0f}' for x in samples)}")
solo, mixed = phases["solo"], phases["mixed"]
print(f"mixed / solo: pushes {mixed['push'] / solo['push']:.2f}, syncs {mixed['sync'] / solo['sync']:.2f} (target >= 0.8)")
PY
# The heap trims of the whole run (`itops_memory_trim_duration_seconds`): malloc_trim holds an arena's
# lock while it works, so a slow one is a pause for every thread allocating from that arena.
curl -s "$URL/metrics" -H "X-API-Key: $KEY" | python3 -c '
import re, sys
text = sys.stdin.read()
def value(name):
    m = re.search(r"^" + re.escape(name) + r" ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0
count, total = value("itops_memory_trim_duration_seconds_count"), value("itops_memory_trim_duration_seconds_sum")
buckets = {float(le): float(n) for le, n in re.findall(r"^itops_memory_trim_duration_seconds_bucket\{le=\"([0-9.e+-]+)\"\} ([0-9.e+-]+)$", text, re.M)}
over = {f"{le * 1000:g} ms": int(count - n) for le, n in sorted(buckets.items()) if le >= 0.01}
if count:
    print(f"malloc trims: {int(count)}, mean {total / count * 1000:.1f} ms; slower than: {over}")
# GraphQL answer cache: under steady ingest every commit makes a kept answer stale, so few hits.
hits = value("itops_graphql_answer_cache_lookups_total{result=\"hit\"}")
shared = value("itops_graphql_answer_cache_lookups_total{result=\"shared\"}")
misses = value("itops_graphql_answer_cache_lookups_total{result=\"miss\"}")
if hits + shared + misses:
    total = hits + shared + misses
    print(f"GraphQL answer cache: {int(hits)} hits, {int(shared)} shared, {int(misses)} executed ({(hits + shared) / total:.1%} not executed)")
'
