#!/usr/bin/env bash
# Schema-driven fuzzing of a real `itops serve` on loopback with schemathesis (pinned, from PyPI,
# installed into .build-fuzz/venv when missing): GraphQL from the live introspection schema, and
# the REST API from docs/openapi.json when the repository has one. Fails on any 5xx and on any
# response slower than the GraphQL deadline. Bounded: FUZZ_SECONDS per schema (default 60).
#
#   scripts/fuzz.sh [path/to/itops]     # default: .build/debug/itops (built by `swift test`)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/itops}
seconds=${FUZZ_SECONDS:-60}
venv=.build-fuzz/venv
if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "installing schemathesis 4.32.5 into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q schemathesis==4.32.5
fi
[ -x "$binary" ] || swift build --product itops

data=$(mktemp -d /tmp/itops-fuzz.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
key=fuzz-operator-key-0123456789
ITOPS_DATA_DIR="$data" ITOPS_PORT=$port ITOPS_OPERATOR_API_KEY=$key ITOPS_ADMIN_EMAIL=admin@example.com \
    ITOPS_ADMIN_PASSWORD=fuzz-password-1 ITOPS_BCRYPT_COST=4 ITOPS_GRAPHQL_RATE_LIMIT=0 ITOPS_LOG_LEVEL=error \
    ITOPS_SQLITE_SYNCHRONOUS=normal "$binary" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
token=$(curl -fsS "http://127.0.0.1:$port/graphql" -H 'Content-Type: application/json' \
    -d '{"query": "mutation { login(email: \"admin@example.com\", password: \"fuzz-password-1\") { token } }"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["token"])')

export SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
status=0
echo "fuzzing GraphQL for ${seconds}s" >&2
"$venv/bin/schemathesis" --no-color run "http://127.0.0.1:$port/graphql" -H "Authorization: Bearer $token" \
    --checks no_server_failure --exclude-checks not_a_server_error --max-response-time 10 --max-time "$seconds" --workers 2 \
    --suppress-health-check all --no-color || status=1
if [ -f docs/openapi.json ]; then
    echo "fuzzing REST (docs/openapi.json) for ${seconds}s" >&2
    "$venv/bin/schemathesis" --no-color run docs/openapi.json --url "http://127.0.0.1:$port" -H "X-API-Key: $key" \
        --checks no_server_failure --exclude-checks not_a_server_error --max-response-time 10 --max-time "$seconds" --workers 2 \
        --suppress-health-check all || status=1
fi
if grep -q "Fatal error\|Program crashed" "$data/server.log"; then
    echo "the server crashed during fuzzing:" >&2
    tail -50 "$data/server.log" >&2
    status=1
fi
kill -0 $server 2>/dev/null || { echo "the server died during fuzzing" >&2; status=1; }
exit $status
