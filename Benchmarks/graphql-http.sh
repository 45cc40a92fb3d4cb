#!/usr/bin/env bash
# GraphQL over HTTP against GET /health, in one run, on loopback (bounded: DURATION seconds per case).
#
#   Benchmarks/graphql-http.sh [debug|release]     (default: release; build it first)
#
# Starts `itops serve` on a free port with a temporary SQLite, the rate limit off and SQLite
# `synchronous=normal`; seeds three SLA groups of four services; then runs wrk
# (-t1 -c8 -d${DURATION}s) on each case and prints req/s and the ratio to /health.
# Cases: /health; { __typename } (cached document); { __typename } with a unique comment per
# request (every request parses and validates: the cost without the document cache);
# { me { id } } with a JWT; the reference's slaGroups query (the same question every time: after
# the first, answered from the answer cache, as nothing is written meanwhile); the same query with a
# new, unused variable every request (the answer cache never has it: executed every time).
set -euo pipefail
CONFIG=${1:-release}
DURATION=${DURATION:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.build/$CONFIG/itops"
[ -x "$BIN" ] || { echo "build first: swift build -c $CONFIG --product itops" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KEY=bench-operator-key-0123456789
ITOPS_PORT=$PORT ITOPS_DATA_DIR="$WORK" ITOPS_JWT_SECRET=$(printf 's%.0s' {1..40}) ITOPS_OPERATOR_API_KEY=$KEY \
  ITOPS_ADMIN_EMAIL=bench@example.com ITOPS_ADMIN_PASSWORD=bench-password ITOPS_BCRYPT_COST=4 \
  ITOPS_SQLITE_SYNCHRONOUS=normal ITOPS_GRAPHQL_RATE_LIMIT=0 ITOPS_LOG_LEVEL=warning "$BIN" serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done

curl -sf -X POST "$URL/api/v1/operator/status" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' -d '{
  "nodeId": "bench/prod/c1", "operatorVersion": "1.0.0",
  "services": [
    {"name": "api-1", "status": "OPERATIONAL", "replicas": 3, "readyReplicas": 3, "slaGroup": "payments"},
    {"name": "api-2", "status": "OPERATIONAL", "replicas": 3, "readyReplicas": 3, "slaGroup": "payments"},
    {"name": "db-1", "status": "DEGRADED", "replicas": 1, "readyReplicas": 1, "slaGroup": "payments"},
    {"name": "db-2", "status": "OPERATIONAL", "replicas": 1, "readyReplicas": 1, "slaGroup": "payments"},
    {"name": "web-1", "status": "OPERATIONAL", "slaGroup": "frontend"},
    {"name": "web-2", "status": "OPERATIONAL", "slaGroup": "frontend"},
    {"name": "cdn-1", "status": "OPERATIONAL", "slaGroup": "frontend"},
    {"name": "cdn-2", "status": "DOWN", "slaGroup": "frontend"},
    {"name": "q-1", "status": "OPERATIONAL", "slaGroup": "batch"},
    {"name": "q-2", "status": "OPERATIONAL", "slaGroup": "batch"},
    {"name": "cron-1", "status": "OPERATIONAL", "slaGroup": "batch"},
    {"name": "cron-2", "status": "OPERATIONAL", "slaGroup": "batch"}],
  "slaGroups": [{"name": "payments", "tier": "critical"}, {"name": "frontend", "tier": "high"},
                {"name": "batch", "tier": "low"}]}' >/dev/null
TOKEN=$(curl -sf -X POST "$URL/graphql" -H 'Content-Type: application/json' \
  -d '{"query":"mutation { login(email: \"bench@example.com\", password: \"bench-password\") { token } }"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')

post_script() { # $1 = JSON body; fixed document
  cat >"$WORK/$2.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = [[$1]]
LUA
}
SLA_QUERY='{ slaGroups { id name displayName tier status currentUptime services { serviceName status replicas readyReplicas backupStatus { backupExpected lastBackupAt lastBackupStatus backupMaxAgeDays backupOverdue } } } }'
post_script '{"query":"{ __typename }"}' typename
post_script '{"query":"{ me { id } }"}' me
post_script "{\"query\":\"$SLA_QUERY\"}" slagroups

counted_script() { # $1 = Lua expression of the body, with `counter` new every request; $2 = name
  cat >"$WORK/$2.lua" <<LUA
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/graphql", nil, $1)
end
LUA
}
# A new comment every request: every request parses and validates (and misses the answer cache).
counted_script "'{\"query\":\"{ __typename } # ' .. counter .. '\"}'" uncached
# The reference query with a variable it does not use, new every request: the same document (parsed
# once), but a different question each time for the answer cache, so every request executes.
counted_script "'{\"query\":\"$SLA_QUERY\",\"variables\":{\"n\":' .. counter .. '}}'" slagroups-executed

run() { # $1 = name, $2 = path, $3 = lua script or empty
  local args=(-t1 -c8 "-d${DURATION}s")
  [ -n "$3" ] && args+=(-s "$WORK/$3.lua")
  local out rate errors
  out=$(wrk "${args[@]}" "$URL$2")
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-36s %10s req/s%s\n' "$1" "$rate" "${errors:+  (non-2xx: $errors)}"
  echo "$rate" >"$WORK/$1.rate"
}

echo "itops $CONFIG build, wrk -t1 -c8 -d${DURATION}s, loopback, $(nproc) cores shared with wrk"
run health /health ""
run typename-cached /graphql typename
run typename-uncached /graphql uncached
run me /graphql me
run slagroups /graphql slagroups
run slagroups-executed /graphql slagroups-executed
run health-again /health ""
H=$(cat "$WORK/health.rate")
for c in typename-cached typename-uncached me slagroups slagroups-executed health-again; do
  python3 -c "print(f'ratio {\"$c\":<20} to /health: {float(\"$(cat "$WORK/$c.rate")\")/float(\"$H\"):.3f}')"
done
