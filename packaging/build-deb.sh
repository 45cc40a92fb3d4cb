#!/usr/bin/env bash
# Builds the ITOps Debian package from a build of `itops` and `itops-license`:
#
#   packaging/build-deb.sh [--debug] [--output DIR]
#
# By default it packages .build/release (building `itops` and `itops-license` in release mode first when
# either is missing: a cold release build takes about 30 minutes on a 2-core machine; .ci/run runs this after
# the ingest guard so it reuses that build). --debug packages .build/debug instead (quick; to prove the
# script, not for production). Prints the path of the .deb on standard output.
#
# The package installs:
#   /usr/bin/itops, /usr/bin/itops-license, /usr/bin/license-gen (-> itops-license)   small wrappers
#   /usr/lib/itops/                     the binaries and the Swift runtime libraries they link (if any)
#   /lib/systemd/system/itops.service   the hardened unit (dedicated `itops` user, StateDirectory)
#   /etc/itops/itops.env                the example environment file (a conffile, 0640 root:itops)
#   /usr/share/doc/itops/               operations.md, openapi.json, alert rules
# postinst creates the `itops` system user; the service is enabled but not started (configure it first).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONFIGURATION=release
OUTPUT="$ROOT/.build/packages"
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) CONFIGURATION=debug ;;
    --output) OUTPUT="$2"; shift ;;
    *) echo "usage: $0 [--debug] [--output DIR]" >&2; exit 2 ;;
  esac
  shift
done
BIN="$ROOT/.build/$CONFIGURATION"
for product in itops itops-license; do
  if [ ! -x "$BIN/$product" ]; then
    echo "building $product ($CONFIGURATION)…" >&2
    (cd "$ROOT" && swift build -c "$CONFIGURATION" --product "$product" >&2)
  fi
done
VERSION="$("$BIN/itops" --version)"
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/itops_${VERSION}_${ARCH}"

install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/usr/lib/itops" "$PKG/lib/systemd/system" "$PKG/etc/itops" \
  "$PKG/usr/share/doc/itops"
install -m 0755 "$BIN/itops" "$BIN/itops-license" "$PKG/usr/lib/itops/"
strip --strip-unneeded "$PKG/usr/lib/itops/itops" "$PKG/usr/lib/itops/itops-license" 2>/dev/null || true

# The Swift runtime libraries the binaries load from the toolchain (none for a --static-swift-stdlib build)
# travel with them; every other library comes from a Debian package, which becomes a dependency.
declare -A DEPENDS=()
while read -r lib; do
  [ -n "$lib" ] || continue
  real="$(readlink -f "$lib")"
  if [[ "$real" == *swift* ]]; then
    install -m 0644 "$real" "$PKG/usr/lib/itops/$(basename "$lib")"
  else
    owner="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)"
    owner="${owner%%:*}"
    [ -n "$owner" ] && DEPENDS["$owner"]=1
  fi
done < <(ldd "$BIN/itops" "$BIN/itops-license" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
DEPENDS[adduser]=1
depends="$(printf '%s\n' "${!DEPENDS[@]}" | sort | paste -sd, - | sed 's/,/, /g')"

for product in itops itops-license; do
  cat > "$PKG/usr/bin/$product" <<WRAPPER
#!/bin/sh
# Runs $product with the Swift runtime libraries installed beside it (works from any install root).
here="\$(dirname "\$(readlink -f "\$0")")"
LD_LIBRARY_PATH="\$here/../lib/itops\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/../lib/itops/$product" "\$@"
WRAPPER
  chmod 0755 "$PKG/usr/bin/$product"
done
ln -s itops-license "$PKG/usr/bin/license-gen"

install -m 0644 "$ROOT/packaging/itops.service" "$PKG/lib/systemd/system/itops.service"
install -m 0640 "$ROOT/packaging/itops.env.example" "$PKG/etc/itops/itops.env"
install -m 0644 "$ROOT/docs/operations.md" "$ROOT/docs/openapi.json" "$ROOT/packaging/prometheus/itops-alerts.yml" \
  "$PKG/usr/share/doc/itops/"
printf 'ITOps %s\nSee the project repository for license terms.\n' "$VERSION" > "$PKG/usr/share/doc/itops/copyright"

size="$(du -sk "$PKG" | cut -f1)"
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: itops
Version: $VERSION
Architecture: $ARCH
Maintainer: ITOps maintainers <itops@example.com>
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Homepage: https://github.com/itops/itops
Description: self-hosted IT-operations backend
 Service health, SLA tracking, webhooks and workflows behind a REST and GraphQL API.
 Runs as the itops user under systemd; data in /var/lib/itops (SQLite) or PostgreSQL.
CONTROL
echo "/etc/itops/itops.env" > "$PKG/DEBIAN/conffiles"
cat > "$PKG/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd itops >/dev/null; then
    adduser --system --group --home /var/lib/itops --no-create-home --shell /usr/sbin/nologin itops
  fi
  chown root:itops /etc/itops/itops.env
  chmod 0640 /etc/itops/itops.env
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
    systemctl enable itops.service >/dev/null || true
    systemctl try-restart itops.service >/dev/null || true
  fi
fi
POSTINST
cat > "$PKG/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop itops.service >/dev/null || true
fi
PRERM
cat > "$PKG/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
if [ "$1" = purge ]; then
  echo "itops: /var/lib/itops is kept; remove it yourself once you have a backup" >&2
fi
POSTRM
chmod 0755 "$PKG/DEBIAN/postinst" "$PKG/DEBIAN/prerm" "$PKG/DEBIAN/postrm"

mkdir -p "$OUTPUT"
DEB="$OUTPUT/itops_${VERSION}_${ARCH}.deb"
COMPRESSION=(); [ "$CONFIGURATION" = debug ] && COMPRESSION=(-Zgzip -z1)
dpkg-deb --root-owner-group "${COMPRESSION[@]}" --build "$PKG" "$DEB" >&2
echo "$DEB"
