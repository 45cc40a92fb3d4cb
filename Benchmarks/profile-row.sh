#!/usr/bin/env bash
# Where one ingest row's CPU goes: starts the release `itops serve` on loopback with a temporary
# SQLite (synchronous=full), seeds the row's services, runs the row with wrk for 8 s (bounded) and
# records `perf record -g` of the server for 6 s of it, then sorts every sample into one of a dozen
# parts (SQLite's thread, the event loops, JSON, statements, auth, ingest logic, …) with
# Benchmarks/profile-parts.py and prints the table BENCHMARKS.md quotes.
#
#   Benchmarks/profile-row.sh health|push-flip|push-same|push-create|operator|operator-flip
#
# `health` profiles GET /health, the ceiling the ratios are taken against.
#
# Environment: SERVER_BIN (default .build/release/itops; build it first), COUNT (services pushed or
# operator nodes seeded: 2000 / 100), KEEP=dir keeps perf.data and the demangled samples there.
# Needs perf (Debian's linux-perf) and wrk; installs neither: run Benchmarks/ingest.sh once first.
# Cost: about 30 s.
set -euo pipefail
MODE=${1:?usage: profile-row.sh health|push-flip|push-same|push-create|operator|operator-flip}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SERVER_BIN:-$ROOT/.build/release/itops}
[ -x "$BIN" ] || { echo "no release build at $BIN (swift build -c release --product itops)" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 1; }
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
KEY=bench-operator-key-0123456789
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK/data" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) \
  ITOPS_OPERATOR_API_KEY=$KEY ITOPS_LOG_LEVEL=warning "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 600); do curl -sf -o /dev/null "$URL/ready" && break; sleep 0.05; done
case "$MODE" in
health) COUNT=0; SEED=""; PATH_=/health; CONNECTIONS=64 ;;
operator*) COUNT=${COUNT:-100}; SEED=operator; PATH_=/api/v1/operator/status; CONNECTIONS=8 ;;
push-create) COUNT=0; SEED=""; PATH_=/api/v1/health/report; CONNECTIONS=64 ;;
*) COUNT=${COUNT:-2000}; SEED=push; PATH_=/api/v1/health/report; CONNECTIONS=64 ;;
esac
[ -n "$SEED" ] && python3 "$ROOT/Benchmarks/ingest-seed.py" "$URL" "$KEY" "$SEED" "$COUNT" >/dev/null
(sleep 1; perf record -q -g -p "$SERVER" -o "$WORK/perf.data" -- sleep 6 >/dev/null 2>&1) &
PERF=$!
SCRIPT=(-s "$ROOT/Benchmarks/ingest.lua" "$URL$PATH_" -- "$MODE" "$COUNT" "$KEY" 2)
[ "$MODE" = health ] && SCRIPT=("$URL$PATH_")
RATE=$(wrk -t2 -c"$CONNECTIONS" -d8s --latency "${SCRIPT[@]}" | awk '/Requests\/sec/ {print $2}')
echo "$MODE: $RATE req/s during the profile (the profiler costs some)"
wait "$PERF"
perf script -i "$WORK/perf.data" -F comm,ip,sym,period 2>/dev/null | swift demangle --simplified >"$WORK/samples.txt"
# perf samples the server for 6 s of the row: requests in that window ≈ rate × 6
python3 "$ROOT/Benchmarks/profile-parts.py" "$WORK/samples.txt" "$(python3 -c "print(float('$RATE') * 6)")"
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK/perf.data" "$WORK/samples.txt" "$KEEP/"; fi
