#!/usr/bin/env bash
# Why Pushgateway's push rate swings by orders of magnitude (issue 19): each suspect measured on its
# own, on loopback, every gateway fresh and with a persistence file of its own (about 2 minutes).
#
#   Benchmarks/pushgateway-why.sh
#
# Rows, each a bounded wrk run of Benchmarks/ingest.lua's `pushgateway` mode (-d${DURATION}s):
#   1. one push at a time (-c1): the time a single push takes, by group count, with and without
#      --push.disable-consistency-check (the check gathers every metric of every group on each push);
#   2. 64 connections, 1,000 groups: the persistence file written every second (--persistence.interval=1s)
#      against never during the run (1h);
#   3. a gateway that loads a copy of Debian's default persistence file
#      (/var/lib/prometheus/pushgateway.data, what `prometheus-pushgateway` without --persistence.file
#      reads at start and writes at exit), pushing to a single group.
# Environment: DURATION (5), GROUPS_LIST ("1 100 1000 10000").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-5}
LUA="$ROOT/Benchmarks/ingest.lua"
command -v prometheus-pushgateway >/dev/null || { echo "needs prometheus-pushgateway (apt-get)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get)" >&2; exit 1; }
WORK=$(mktemp -d)
GATEWAY=""
cleanup() {
  [ -n "$GATEWAY" ] && kill "$GATEWAY" 2>/dev/null && wait "$GATEWAY" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

start_gateway() { # FLAGS...
  prometheus-pushgateway --web.listen-address="127.0.0.1:$PORT" "$@" >>"$WORK/pushgateway.log" 2>&1 &
  GATEWAY=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "$URL/-/ready" && break; sleep 0.1; done
}
stop_gateway() { kill "$GATEWAY"; wait "$GATEWAY" 2>/dev/null || true; GATEWAY=""; }
groups_held() {
  python3 -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))["data"]))' \
    "$URL/api/v1/metrics"
}
# seeded FILE GROUPS: a persistence file holding GROUPS groups (pushed without the check: seconds, not minutes)
seeded() {
  start_gateway --persistence.file="$1" --push.disable-consistency-check
  python3 "$ROOT/Benchmarks/ingest-seed.py" "$URL" - pushgateway "$2"
  stop_gateway
}
# measure LABEL CONNECTIONS GROUPS: one wrk run against the running gateway, printed as one row
measure() {
  local out rate p50 p99 bad errs cpu0 cpu1 began elapsed
  cpu0=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$GATEWAY/stat"); began=$(date +%s%N)
  out=$(wrk -t1 -c"$2" -d"${DURATION}s" --latency --timeout 5s -s "$LUA" "$URL/metrics" -- pushgateway "$3" - 1)
  cpu1=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$GATEWAY/stat"); elapsed=$(($(date +%s%N) - began))
  read -r rate p50 p99 bad errs <<<"$(awk -f "$ROOT/Benchmarks/wrk-summary.awk" <<<"$out")"
  python3 - "$1" "$rate" "$p50" "$p99" "$errs" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$elapsed" "$(groups_held)" <<'PY'
import sys
label, rate, p50, p99, errs, ticks, hz, elapsed, held = sys.argv[1:]
rate, cpu = float(rate), 100 * float(ticks) / float(hz) / (float(elapsed) / 1e9)
note = "" if errs == "-" else f"  [socket errors {errs}]"
print(f"{label:<58} {rate:>8,.0f} pushes/s  p50 {float(p50):8.2f} ms  p99 {float(p99):8.2f} ms  "
      f"CPU {cpu:4.0f} %  holds {int(held):,} groups{note}")
PY
}

echo "prometheus-pushgateway $(prometheus-pushgateway --version 2>&1 | head -n 1 | awk '{print $3}'), wrk -t1 -d${DURATION}s per row, loopback, $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for groups in ${GROUPS_LIST:-1 100 1000 10000}; do
  seeded "$WORK/g$groups.data" "$groups"
  start_gateway --persistence.file="$WORK/g$groups.data" --persistence.interval=1h
  measure "one at a time, $groups groups, consistency check (default)" 1 "$groups"
  stop_gateway
  start_gateway --persistence.file="$WORK/g$groups.data" --persistence.interval=1h --push.disable-consistency-check
  measure "one at a time, $groups groups, --push.disable-consistency-check" 1 "$groups"
  stop_gateway
done

seeded "$WORK/persist.data" 1000
start_gateway --persistence.file="$WORK/persist.data" --persistence.interval=1h
measure "64 connections, 1000 groups, file never written during the run" 64 1000
stop_gateway
start_gateway --persistence.file="$WORK/persist.data" --persistence.interval=1s
measure "64 connections, 1000 groups, file written every second" 64 1000
stop_gateway

DEBIAN_FILE=/var/lib/prometheus/pushgateway.data
if [ -r "$DEBIAN_FILE" ]; then
  cp "$DEBIAN_FILE" "$WORK/debian.data"   # a copy: this script never writes the machine's file
  start_gateway --persistence.file="$WORK/debian.data" --persistence.interval=1h
  measure "64 connections, 1 group pushed, Debian's default file loaded" 64 1
  stop_gateway
  start_gateway --persistence.file=""
  measure "64 connections, 1 group pushed, empty gateway" 64 1
  stop_gateway
else
  echo "($DEBIAN_FILE not readable: the Debian-default row is skipped)"
fi
