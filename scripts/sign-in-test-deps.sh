#!/usr/bin/env bash
# Installs what the sign-in tests need so they run instead of skipping (issue 14):
#   - OpenLDAP's slapd and ldap-utils (Debian packages) for LDAPSignInTests, which start their own slapd;
#   - oidc-provider-mock, pinned, into .build-oidc/venv for OIDCSignInTests, which start their own provider.
# Idempotent: each is installed only when missing (~30 s of apt-get and ~15 s of pip the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v slapd >/dev/null && [ ! -x /usr/sbin/slapd ] || ! command -v ldapmodify >/dev/null \
  || ! command -v openssl >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  echo "installing slapd, ldap-utils and openssl (the LDAP TLS test makes a throw-away CA)" >&2
  "${SUDO[@]}" apt-get update -qq >&2
  # slapd's postinst would ask for a domain and start a system slapd; the tests need neither.
  echo "slapd slapd/no_configuration boolean true" | "${SUDO[@]}" debconf-set-selections
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends slapd ldap-utils openssl >&2
fi
venv=.build-oidc/venv
if [ ! -x "$venv/bin/oidc-provider-mock" ]; then
  # 0.3.4: the newest release that runs on the Python 3.11 of Debian 12 (0.4 needs 3.12).
  echo "installing oidc-provider-mock 0.3.4 into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q oidc-provider-mock==0.3.4 >&2
fi
