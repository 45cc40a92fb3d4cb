#!/usr/bin/env bash
# Tests the Debian package without installing it on the machine:
#
#   packaging/test-deb.sh DEB
#
# Unpacks DEB into a scratch root (dpkg -x), checks its files, runs `itops --version` and `license-gen`
# from there (with the toolchain's libraries out of the way: only what the package carries), verifies the
# systemd unit with `systemd-analyze verify`, and starts the packaged server on a loopback port to check
# /ready, `promtool check metrics` on /metrics, and a graceful SIGTERM stop (exit 0). About 10–20 s.
set -euo pipefail
DEB="${1:?usage: $0 DEB}"
SCRATCH="$(mktemp -d)"
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null; rm -rf "$SCRATCH"; }
trap cleanup EXIT
ROOT="$SCRATCH/root"
fail() { echo "test-deb: $*" >&2; exit 1; }

dpkg-deb --info "$DEB" >/dev/null || fail "not a Debian package: $DEB"
dpkg -x "$DEB" "$ROOT"
for path in usr/bin/itops usr/bin/itops-license usr/bin/license-gen lib/systemd/system/itops.service \
  etc/itops/itops.env usr/share/doc/itops/operations.md usr/share/doc/itops/itops-alerts.yml; do
  [ -e "$ROOT/$path" ] || fail "missing /$path"
done
[ "$(readlink "$ROOT/usr/bin/license-gen")" = itops-license ] || fail "license-gen is not a link to itops-license"
dpkg-deb --field "$DEB" Depends | grep -q adduser || fail "Depends lacks adduser"

# Nothing from the Swift toolchain: a clean PATH, no inherited library path.
CLEAN_ENV=(env -i PATH=/usr/bin:/bin HOME="$SCRATCH")
version="$("${CLEAN_ENV[@]}" "$ROOT/usr/bin/itops" --version)"
expected="$(dpkg-deb --field "$DEB" Version)"
[ "$version" = "$expected" ] || fail "itops --version printed '$version', the package is $expected"
"${CLEAN_ENV[@]}" "$ROOT/usr/bin/license-gen" --help | grep -qi "usage" || fail "license-gen --help failed"
if LD_LIBRARY_PATH="$ROOT/usr/lib/itops" ldd "$ROOT/usr/lib/itops/itops" | grep -q "not found"; then
  fail "unresolved libraries: $(LD_LIBRARY_PATH="$ROOT/usr/lib/itops" ldd "$ROOT/usr/lib/itops/itops" | grep 'not found')"
fi
outside="$(LD_LIBRARY_PATH="$ROOT/usr/lib/itops" ldd "$ROOT/usr/lib/itops/itops" "$ROOT/usr/lib/itops/itops-license" \
  | awk '$2 == "=>" && $3 ~ /swift|Foundation|dispatch|BlocksRuntime/ {print $3}' | grep -v "^$ROOT/" || true)"
[ -z "$outside" ] || fail "Swift runtime libraries loaded from outside the package: $outside"
echo "itops $version runs from the scratch root"

# The unit, pointed at the scratch root's binary (systemd-analyze checks that ExecStart exists).
sed "s|/usr/bin/itops|$ROOT/usr/bin/itops|g" "$ROOT/lib/systemd/system/itops.service" > "$SCRATCH/itops.service"
systemd-analyze verify "$SCRATCH/itops.service"
echo "systemd-analyze verify: ok"

# The packaged server: ready, metrics promtool accepts, and a graceful stop.
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${CLEAN_ENV[@]}" ITOPS_PORT="$PORT" ITOPS_DATA_DIR="$SCRATCH/data" ITOPS_JWT_SECRET="$(head -c 32 /dev/urandom | base64)" \
  "$ROOT/usr/bin/itops" serve 2> "$SCRATCH/server.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/ready" >/dev/null || { cat "$SCRATCH/server.log" >&2; fail "/ready never answered"; }
curl -fsS "http://127.0.0.1:$PORT/api/v1/openapi.json" | python3 -c 'import json, sys; assert json.load(sys.stdin)["openapi"] == "3.1.0"'
if command -v promtool >/dev/null; then
  curl -fsS "http://127.0.0.1:$PORT/metrics" | promtool check metrics
  echo "promtool check metrics: ok"
fi
kill -TERM "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=
[ "$status" = 0 ] || { cat "$SCRATCH/server.log" >&2; fail "the server exited with $status after SIGTERM"; }
echo "graceful stop: exit 0"
echo "test-deb: ok ($DEB)"
