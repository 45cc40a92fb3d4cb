#!/usr/bin/env bash
# Ingest at line rate, in one run on loopback, against GET /health of the same run and against
# Prometheus Pushgateway as an outside reference.
#
#   Benchmarks/ingest.sh            # the whole suite (about 3 minutes with DURATION=10)
#   Benchmarks/ingest.sh --guard    # CI regression guard: /health and health/report flips only, ~1 minute
#   DATABASE=postgres SKIP_PUSHGATEWAY=1 Benchmarks/ingest.sh   # the same rows on PostgreSQL
#
# Builds `itops` in release mode (SKIP_BUILD=1 skips it), installs wrk and prometheus-pushgateway
# from Debian's packages when missing, starts `itops serve` on 127.0.0.1 with a temporary data dir,
# an operator API key and SQLite `synchronous=$SYNC` (default: full, the server's default). Every
# wrk run is bounded (-d${DURATION}s, 64 connections, 2 threads) and prints req/s, p50/p99 latency and
# the ratio to GET /health. Memory is VmRSS of the server process; start-up is the time from exec
# to the first 200 from /ready.
#
# Environment: DURATION (10), CONNECTIONS (64), THREADS (2), SYNC (full|normal), PUSH_SERVICES
# (10000, pushed services flipped), TOTAL_SERVICES (100000), PGW_GROUPS ("1 100 1000 10000": one
# fresh Pushgateway per count, seeded with that many groups), IDLE_SETTLE (11, seconds before an
# idle RSS reading), SKIP_BUILD, SKIP_PUSHGATEWAY, SERVER_BIN (another `itops` binary, e.g. a copy of
# an earlier commit's release build, to compare two builds in one hour; implies SKIP_BUILD).
# DATABASE=postgres runs every row against a throw-away PostgreSQL cluster on loopback
# (scripts/pg-test-cluster.sh: fsync, synchronous_commit and full_page_writes off; PG_DURABLE=1 turns
# them on, so that a 200 means flushed to disk as with SQLite `full`), stopped again at exit. Each row
# then also prints the CPU the server and the postgres processes spent during it (CPU=1 prints the
# server's on SQLite too). PERF_ROW="<row name>" records `perf record -g` of the server during that row
# into PERF_OUT (/tmp/ingest-<row>.perf.data); PERF_ALL=1 records every process instead (the
# postgres backends, wrk, the kernel: `perf report --sort comm`).
# --guard compares the health/report-flip ratio with the `guard-baseline` line of BENCHMARKS.md and
# exits 1 when it dropped by more than a third, in the first measurement and in one retry.
set -euo pipefail
[ -n "${TRACE:-}" ] && set -x
MODE=full
[ "${1:-}" = "--guard" ] && MODE=guard
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SYNC=${SYNC:-full}
PUSH_SERVICES=${PUSH_SERVICES:-10000}
TOTAL_SERVICES=${TOTAL_SERVICES:-100000}
# Idle means idle: RSS is read this long after the last request (the server trims malloc's heaps every 10 s).
IDLE_SETTLE=${IDLE_SETTLE:-11}
if [ "$MODE" = guard ]; then DURATION=${GUARD_DURATION:-5}; PUSH_SERVICES=${GUARD_SERVICES:-2000}; fi
DATABASE=${DATABASE:-sqlite}
case "$DATABASE" in
sqlite) ;;
postgres) CPU=1 ;;
*) echo "DATABASE is sqlite or postgres, not $DATABASE" >&2; exit 2 ;;
esac
if [ "$MODE" = guard ] && [ "$DATABASE" != sqlite ]; then
  echo "--guard measures SQLite against its SQLite baseline: run it without DATABASE" >&2
  exit 2
fi
LUA="$ROOT/Benchmarks/ingest.lua"
BIN="${SERVER_BIN:-$ROOT/.build/release/itops}"
[ -n "${SERVER_BIN:-}" ] && SKIP_BUILD=1

apt_install() { # $1 = command, $2 = Debian package
  command -v "$1" >/dev/null && return
  echo "installing $2 with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq "$2" >&2
}
apt_install wrk wrk
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && swift build -c release --product itops >&2)
fi
[ -x "$BIN" ] || { echo "no release build at $BIN" >&2; exit 1; }
ulimit -n 8192 2>/dev/null || true

WORK=$(mktemp -d)
SERVER=""
GATEWAY=""
PG_DIR=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$GATEWAY" ] && kill "$GATEWAY" 2>/dev/null && wait "$GATEWAY" 2>/dev/null
  [ -n "$PG_DIR" ] && "$ROOT/scripts/pg-test-cluster.sh" stop "$PG_DIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
DATABASE_ENV=()
if [ "$DATABASE" = postgres ]; then
  eval "$(PG_DURABLE=${PG_DURABLE:-} "$ROOT/scripts/pg-test-cluster.sh" start ITOPS_BENCH)"
  PG_DIR=$ITOPS_BENCH_PG_DIR
  PG_URL=$ITOPS_BENCH_DATABASE_URL
  unset ITOPS_BENCH_DATABASE_URL ITOPS_BENCH_PG_DIR ITOPS_BENCH_PG_RESTART  # itops refuses unknown ITOPS_*
  DATABASE_ENV=(ITOPS_DATABASE_URL="$PG_URL")
  psql_value() { psql "$PG_URL" -tAXc "$1"; }
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
KEY=bench-operator-key-0123456789

start_server() { # sets SERVER and STARTUP_MS (exec to first 200 from /ready)
  local begin end
  begin=$(date +%s%N)
  env "${DATABASE_ENV[@]}" ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK/data" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) \
    ITOPS_OPERATOR_API_KEY=$KEY ITOPS_SQLITE_SYNCHRONOUS=$SYNC ITOPS_LOG_LEVEL=warning \
    "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 3000); do
    if curl -sf -o /dev/null "$URL/ready" 2>/dev/null; then
      end=$(date +%s%N)
      STARTUP_MS=$(((end - begin) / 1000000))
      return
    fi
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.01
  done
  echo "server did not become ready" >&2
  exit 1
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# wrk output → "rate p50_ms p99_ms non2xx errors"
summarize() { awk -f "$ROOT/Benchmarks/wrk-summary.awk"; }

# cpu_ticks PID...: user + system clock ticks of the processes (those gone count 0)
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# postgres_pids: the postmaster and every process it started (backends, walwriter, checkpointer, …)
postgres_pids() {
  [ -n "$PG_DIR" ] || return 0
  local master
  master=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
  echo "$master" $(pgrep -P "$master")
}

HEALTH_RATE=""
declare -A RESULT
# run NAME URLBASE PATH [MODE COUNT] [UNIT MULTIPLIER]: one bounded wrk run, printed as one row
run() {
  local name=$1 base=$2 path=$3 mode=${4:-} count=${5:-0} unit=${6:-} mult=${7:-1}
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 5s)
  local out perf="" pg_pids server0=0 pg0=0 began
  if [ -n "${PERF_ROW:-}" ] && [ "$PERF_ROW" = "$name" ]; then
    # bounded by the row: starts a second in, stops a second before wrk does
    local target=(-p "$SERVER")
    [ -n "${PERF_ALL:-}" ] && target=(-a)
    (sleep 1; perf record -q -g "${target[@]}" -o "${PERF_OUT:-/tmp/ingest-${name//[^a-z0-9]/-}.perf.data}" \
      -- sleep $((DURATION > 3 ? DURATION - 2 : 1)) >/dev/null 2>&1) &
    perf=$!
  fi
  if [ -n "${CPU:-}" ]; then
    pg_pids=$(postgres_pids)
    server0=$(cpu_ticks "${CPU_PID:-$SERVER}"); pg0=$(cpu_ticks $pg_pids); began=$(date +%s%N)
  fi
  if [ -n "$mode" ]; then
    out=$(wrk "${args[@]}" -s "$LUA" "$base$path" -- "$mode" "$count" "$KEY" "$THREADS")
  else
    out=$(wrk "${args[@]}" "$base$path")
  fi
  if [ -n "${CPU:-}" ]; then
    # CPU of the whole wrk run, in % of one core (200 % = both cores); backends that started during
    # the row count from zero, those that ended during it are missing (the pool keeps its connections)
    local ticks elapsed server1 pg1
    ticks=$(getconf CLK_TCK); elapsed=$(( $(date +%s%N) - began ))
    server1=$(cpu_ticks "${CPU_PID:-$SERVER}"); pg1=$(cpu_ticks $(postgres_pids))
    CPU_NOTE=$(python3 -c "import sys; t,e,s,p=map(float,sys.argv[1:5]); print(f'  CPU {sys.argv[6]} {100*s/t/(e/1e9):.0f} %' + (f', postgres {100*p/t/(e/1e9):.0f} %' if sys.argv[5] else ''))" \
      "$ticks" "$elapsed" $((server1 - server0)) $((pg1 - pg0)) "$PG_DIR" "${CPU_LABEL:-server}")
  fi
  [ -n "$perf" ] && wait "$perf"
  read -r rate p50 p99 bad errs <<<"$(summarize <<<"$out")"
  [ -z "$HEALTH_RATE" ] && HEALTH_RATE=$rate
  RESULT[$name]=$rate
  python3 - "$name" "$rate" "$p50" "$p99" "$HEALTH_RATE" "$bad" "$errs" "$unit" "$mult" <<'PY'
import sys
name, rate, p50, p99, health, bad, errs, unit, mult = sys.argv[1:]
rate, health, mult = float(rate), float(health), float(mult)
extra = f"  = {rate * mult:,.0f} {unit}/s" if unit else ""
expected_refusals = "(400)" in name  # a row that is refused by design counts only socket errors
problems = "" if ((bad == "0" or expected_refusals) and errs == "-") else f"  [non-2xx {bad}, socket errors {errs}]"
print(f"{name:<28} {rate:>10,.0f} req/s  p50 {float(p50):7.2f} ms  p99 {float(p99):7.2f} ms  "
      f"ratio {rate / health:6.3f}{extra}{problems}")
PY
  [ -z "${CPU:-}" ] || echo "$CPU_NOTE"
}

# seed URLBASE MODE COUNT: one pass over the items (Benchmarks/ingest-seed.py, 8 connections)
seed() { python3 "$ROOT/Benchmarks/ingest-seed.py" "$1" "$KEY" "$2" "$3"; }

count_services() {
  if [ "$DATABASE" = postgres ]; then psql_value "select count(*) from services"; return; fi
  sqlite3_count=$(python3 - "$WORK/data/itops.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from services").fetchone()[0])
PY
)
  echo "$sqlite3_count"
}

start_server
if [ "$DATABASE" = postgres ]; then
  echo "itops release build $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes'), $(psql_value "select split_part(version(), ' ', 1) || ' ' || current_setting('server_version')") on loopback, fsync=$(psql_value 'show fsync'), synchronous_commit=$(psql_value 'show synchronous_commit'), full_page_writes=$(psql_value 'show full_page_writes')"
else
  echo "itops release build ${SERVER_BIN:-$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes')}, SQLite synchronous=$SYNC"
fi
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s per row, loopback, $(nproc) cores shared by server and wrk; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "start-up (empty database): ${STARTUP_MS} ms; RSS idle, empty: $(rss_mb "$SERVER") MB"
echo
run "GET /health" "$URL" /health
seed "$URL" push "$PUSH_SERVICES"
if [ "$MODE" = full ]; then
  # 400 by design: authentication, body and JSON decoding, an error answer, no database work
  run "health/report refused (400)" "$URL" /api/v1/health/report push-refused "$PUSH_SERVICES"
fi
run "health/report no change" "$URL" /api/v1/health/report push-same "$PUSH_SERVICES"
run "health/report flip" "$URL" /api/v1/health/report push-flip "$PUSH_SERVICES"
if [ "$MODE" = guard ]; then
  run "GET /health (again)" "$URL" /health
  # guard_check FLIP HEALTH1 HEALTH2: exit 0 when the ratio holds the floor
  guard_check() {
    python3 - "$1" "$2" "$3" "$ROOT/BENCHMARKS.md" <<'PY'
import re, sys
flip, h1, h2, path = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
health = (h1 + h2) / 2   # /health before and after: a shared CI machine drifts during the run
ratio = flip / health
match = re.search(r"guard-baseline: health/report flip / GET /health = ([0-9.]+)", open(path).read())
if not match:
    sys.exit("BENCHMARKS.md has no 'guard-baseline: health/report flip / GET /health = X' line")
baseline = float(match.group(1))
floor = baseline * 2 / 3
verdict = "ok" if ratio >= floor else "REGRESSION"
print(f"guard: health/report flip / GET /health = {ratio:.3f}; baseline {baseline:.3f}, floor {floor:.3f}: {verdict}")
sys.exit(0 if ratio >= floor else 1)
PY
  }
  guard_check "${RESULT[health/report flip]}" "${RESULT[GET /health]}" "${RESULT[GET /health (again)]}" && exit 0
  # A shared machine can stall one 5-second run (a neighbour's fsync storm, a build): a real
  # regression fails twice, so the whole measurement is taken once more before failing.
  echo "guard: measuring once more"
  run "GET /health (retry)" "$URL" /health
  run "health/report flip (retry)" "$URL" /api/v1/health/report push-flip "$PUSH_SERVICES"
  run "GET /health (retry, again)" "$URL" /health
  guard_check "${RESULT[health/report flip (retry)]}" "${RESULT[GET /health (retry)]}" \
    "${RESULT[GET /health (retry, again)]}"
  exit $?
fi
run "backup/report" "$URL" /api/v1/backup/report backup "$PUSH_SERVICES"
sleep "$IDLE_SETTLE"
echo "RSS idle with $(count_services) services ($IDLE_SETTLE s after the runs above): $(rss_mb "$SERVER") MB"

# Operator syncs of 200 services per node: seed enough nodes to reach TOTAL_SERVICES services.
NODES=$(((TOTAL_SERVICES - $(count_services)) / 200))
seed "$URL" operator "$NODES"
CONNECTIONS=8 run "operator/status (200, same)" "$URL" /api/v1/operator/status operator "$NODES" "service updates" 200
CONNECTIONS=8 run "operator/status (200, flip)" "$URL" /api/v1/operator/status operator-flip "$NODES" "service updates" 200
SERVICES=$(count_services)
sleep "$IDLE_SETTLE"
echo "RSS idle with $SERVICES services ($IDLE_SETTLE s after the runs above): $(rss_mb "$SERVER") MB"
stop_server
start_server
echo "restart with $SERVICES services: start-up ${STARTUP_MS} ms to /ready; RSS idle after restart: $(rss_mb "$SERVER") MB"
run "health/report create" "$URL" /api/v1/health/report push-create 0
run "GET /health (again)" "$URL" /health

if [ -z "${SKIP_PUSHGATEWAY:-}" ]; then
  apt_install prometheus-pushgateway prometheus-pushgateway
  GPORT=$(free_port)
  GURL="http://127.0.0.1:$GPORT"
  gateway_groups() {
    python3 -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))["data"]))' \
      "$GURL/api/v1/metrics"
  }
  # One fresh gateway per group count, with a persistence file of its own: Debian's default
  # --persistence.file is /var/lib/prometheus/pushgateway.data, so a gateway started without the flag
  # loads every group an earlier run left there (and saves its own at exit): its group count was not
  # the benchmark's.
  # Pushgateway checks every push against all the groups it holds (BENCHMARKS.md): its rate falls with
  # the group count. PGW_PROFILE_DIR=dir saves its CPU profile (/debug/pprof/profile) of each wrk run.
  # start_gateway [FLAGS...]: sets GATEWAY once /-/ready answers
  start_gateway() {
    prometheus-pushgateway --web.listen-address="127.0.0.1:$GPORT" "$@" >>"$WORK/pushgateway.log" 2>&1 &
    GATEWAY=$!
    for _ in $(seq 100); do curl -sf -o /dev/null "$GURL/-/ready" && break; sleep 0.1; done
  }
  stop_gateway() { kill "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true; GATEWAY=""; }
  PGW_LINES=()
  for groups in ${PGW_GROUPS:-1 100 1000 10000}; do
    # Seeding through the check costs O(groups²) (10,000 groups: minutes), so a gateway without the
    # check takes the seed pushes and saves them at exit; the measured gateway loads that file (and
    # would save it again only after an hour: nothing is written during the run).
    began=$(date +%s%N)
    start_gateway --persistence.file="$WORK/pushgateway-$groups.data" --push.disable-consistency-check
    seed "$GURL" pushgateway "$groups"
    stop_gateway
    start_gateway --persistence.file="$WORK/pushgateway-$groups.data" --persistence.interval=1h
    seeded_ms=$((($(date +%s%N) - began) / 1000000))
    profile=""
    if [ -n "${PGW_PROFILE_DIR:-}" ]; then
      curl -s -o "$PGW_PROFILE_DIR/pushgateway-$groups-groups.pb.gz" \
        "$GURL/debug/pprof/profile?seconds=$((DURATION > 3 ? DURATION - 2 : 1))" &
      profile=$!
    fi
    CPU_PID=$GATEWAY CPU_LABEL=pushgateway run "Pushgateway, $groups groups" "$GURL" /metrics pushgateway "$groups"
    [ -n "$profile" ] && wait "$profile"
    echo "  Pushgateway held $(gateway_groups) groups (seeded and reloaded in $seeded_ms ms); RSS $(rss_mb "$GATEWAY") MB"
    PGW_LINES+=("$groups ${RESULT[Pushgateway, $groups groups]}")
    stop_gateway
  done
  printf '%s\n' "${PGW_LINES[@]}" | python3 -c '
import sys
flip = float(sys.argv[1])
for line in sys.stdin:
    groups, rate = line.split()
    print(f"health/report flip / Pushgateway push: {flip / float(rate):.1f}x against a {int(groups):,}-group Pushgateway")
' "${RESULT[health/report flip]}"
fi
