#!/usr/bin/env bash
# What a health/report costs PostgreSQL, and what the server keeps in memory (issue 19), on a
# throw-away loopback cluster (scripts/pg-test-cluster.sh), stopped at exit; about a minute.
#
#   Benchmarks/pg-ingest-probe.sh [ITOPS_BINARY]   # default: .build/release/itops
#
# Seeds SERVICES (10000) new pushed services (Benchmarks/ingest-seed.py, 8 connections) and prints
# the time and the server's RSS; then runs wrk (-t2 -c64 -d${DURATION}s) of no-change pushes and of
# status flips (Benchmarks/ingest.lua) and prints the transactions PostgreSQL committed per request
# (pg_stat_database.xact_commit: group-commit batches, reads, and one `pg_notify` per event), read
# when wrk ends and again 2, 5 and 15 s later (what still arrives then was queued in the server);
# last, the RSS 11 s after the load (the server trims malloc's heaps every 10 s). Run it with two
# binaries, one after the other, to compare builds.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BINARY=${1:-$ROOT/.build/release/itops}
SERVICES=${SERVICES:-10000}
DURATION=${DURATION:-10}
KEY=bench-operator-key-0123456789
[ -x "$BINARY" ] || { echo "no itops binary at $BINARY" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get)" >&2; exit 1; }
WORK=$(mktemp -d)
SERVER=""
PG_DIR=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$PG_DIR" ] && "$ROOT/scripts/pg-test-cluster.sh" stop "$PG_DIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
eval "$("$ROOT/scripts/pg-test-cluster.sh" start ITOPS_BENCH)"
PG_DIR=$ITOPS_BENCH_PG_DIR
PG_URL=$ITOPS_BENCH_DATABASE_URL
unset ITOPS_BENCH_DATABASE_URL ITOPS_BENCH_PG_DIR ITOPS_BENCH_PG_RESTART  # itops refuses unknown ITOPS_*
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
ITOPS_DATABASE_URL=$PG_URL ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK/data" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) \
  ITOPS_OPERATOR_API_KEY=$KEY ITOPS_LOG_LEVEL=warning "$BINARY" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1000); do curl -sf -o /dev/null "$URL/ready" && break; sleep 0.02; done
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }
commits() { psql "$PG_URL" -tAXc "select xact_commit from pg_stat_database where datname = current_database()"; }

echo "$BINARY (worktree at $(cd "$ROOT" && git rev-parse --short HEAD)), PostgreSQL $(psql "$PG_URL" -tAXc 'show server_version'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "RSS idle, empty: $(rss_mb) MB"
began=$(date +%s%N)
python3 "$ROOT/Benchmarks/ingest-seed.py" "$URL" "$KEY" push "$SERVICES"
echo "seeding $SERVICES new services: $((($(date +%s%N) - began) / 1000000)) ms; RSS right after: $(rss_mb) MB"
sleep 2
for mode in push-same push-flip; do
  before=$(commits)
  out=$(wrk -t2 -c64 -d"${DURATION}s" -s "$ROOT/Benchmarks/ingest.lua" "$URL/api/v1/health/report" -- "$mode" "$SERVICES" "$KEY" 2)
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  line="$mode: $requests requests ($rate/s); transactions per request"
  waited=0
  for at in 0 2 5 15; do
    sleep $((at - waited)); waited=$at
    line="$line, +${at} s: $(python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]):.2f}')" "$before" "$(commits)" "$requests")"
  done
  echo "$line"
done
sleep 11
echo "RSS idle after the load: $(rss_mb) MB"
