#!/usr/bin/env bash
# Subscription fan-out on loopback: SUBSCRIBERS sockets on /graphql/ws subscribe to
# serviceStatusChanged; EVENTS status changes are pushed through REST (one every INTERVAL_MS);
# prints the delivery rate and the p50/p99 publish-to-receive latency.
#
#   swift build -c release --product itops --product itops-ws-bench
#   Benchmarks/graphql-ws-fanout.sh [debug|release]
set -euo pipefail
CONFIG=${1:-release}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
EVENTS=${EVENTS:-100}
INTERVAL_MS=${INTERVAL_MS:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.build/$CONFIG"
for b in itops itops-ws-bench; do
  [ -x "$BIN/$b" ] || { echo "build first: swift build -c $CONFIG --product itops --product itops-ws-bench" >&2; exit 1; }
done
ulimit -n 8192 2>/dev/null || true
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KEY=bench-operator-key-0123456789
ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) ITOPS_OPERATOR_API_KEY=$KEY \
  ITOPS_ADMIN_EMAIL=bench@example.com ITOPS_ADMIN_PASSWORD=bench-password ITOPS_BCRYPT_COST=4 \
  ITOPS_SQLITE_SYNCHRONOUS=normal ITOPS_GRAPHQL_RATE_LIMIT=0 ITOPS_LOG_LEVEL=warning "$BIN/itops" serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -X POST "$URL/graphql" -H 'Content-Type: application/json' \
  -d '{"query":"mutation { login(email: \"bench@example.com\", password: \"bench-password\") { token } }"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
echo "itops $CONFIG build, $SUBSCRIBERS subscribers, loopback, $(nproc) cores shared by server and clients"
timeout 120 "$BIN/itops-ws-bench" --url "$URL" --token "$TOKEN" --api-key "$KEY" \
  --subscribers "$SUBSCRIBERS" --events "$EVENTS" --interval-ms "$INTERVAL_MS"
curl -s "$URL/metrics" | grep -E '^itops_graphql_ws' || true
