#!/usr/bin/env bash
# Operations checks of .ci/run (issue 17). Installs what it needs with apt-get / pip when missing.
#
#   scripts/ci-ops.sh static    the OpenAPI document (openapi-spec-validator), the Prometheus alert rules
#                               (promtool check rules), the systemd unit (systemd-analyze verify) and the
#                               Kubernetes manifests (YAML). About 5 s, plus about 30 s the first time for
#                               `apt-get install prometheus`.
#   scripts/ci-ops.sh package   builds the Debian package from .build/release (run it after the ingest guard,
#                               which builds `itops` in release mode; this adds `itops-license`, a few minutes)
#                               and tests it in a scratch root (packaging/test-deb.sh: --version, the unit,
#                               /ready, promtool check metrics, a graceful SIGTERM stop). About 1–2 minutes on
#                               top of the release build.
#                               PACKAGE_FLAGS=--debug packages the debug build instead (local check).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt() {  # need_apt COMMAND PACKAGE
  command -v "$1" >/dev/null && return
  echo "installing $2 for $1…" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$2" >&2
}

static_checks() {
  python3 -c 'import openapi_spec_validator' 2>/dev/null || pip install -q openapi-spec-validator >&2
  python3 -c 'import yaml' 2>/dev/null || pip install -q pyyaml >&2
  python3 - <<'PY'
import json
from openapi_spec_validator import validate
with open("docs/openapi.json") as f:
    validate(json.load(f))
print("openapi-spec-validator: docs/openapi.json is a valid OpenAPI 3.1 document")
PY
  need_apt promtool prometheus
  promtool check rules packaging/prometheus/itops-alerts.yml
  need_apt systemd-analyze systemd
  # systemd-analyze checks that ExecStart exists: point the unit at a stand-in for the packaged binary.
  local scratch
  scratch="$(mktemp -d)"
  printf '#!/bin/sh\n' > "$scratch/itops" && chmod +x "$scratch/itops"
  printf '#!/bin/sh\n' > "$scratch/itops-agent" && chmod +x "$scratch/itops-agent"
  for unit in itops itops-agent; do
    sed "s|/usr/bin/itops|$scratch/itops|g" "packaging/$unit.service" > "$scratch/$unit.service"
    systemd-analyze verify "$scratch/$unit.service"
    echo "systemd-analyze verify: packaging/$unit.service ok"
  done
  rm -rf "$scratch"
  python3 - <<'PY'
import yaml
kinds = []
import glob
for path in ["packaging/k8s/itops.yaml", "packaging/k8s/itops-secret.example.yaml"] + sorted(glob.glob("packaging/k8s/agent/*.yaml")):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc:
                assert doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"), path
                kinds.append(doc["kind"])
deployment = next(yaml.safe_load_all(open("packaging/k8s/itops.yaml")))
container = deployment["spec"]["template"]["spec"]["containers"][0]
assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
assert container["livenessProbe"]["httpGet"]["path"] == "/health"
agent = next(yaml.safe_load_all(open("packaging/k8s/agent/deployment.yaml")))
assert agent["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] == "/healthz"
# Least privilege: the agent's roles only read.
for doc in yaml.safe_load_all(open("packaging/k8s/agent/rbac.yaml")):
    for rule in (doc or {}).get("rules", []):
        assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
# The mounted agent settings and the watched catalogue parse as YAML too.
config = next(yaml.safe_load_all(open("packaging/k8s/agent/configmap.example.yaml")))
for key in ("agent.yaml", "it-ops.yaml"):
    assert isinstance(yaml.safe_load(config["data"][key]), dict), key
print("kubernetes manifests:", ", ".join(kinds))
PY
}

package_checks() {
  need_apt dpkg-deb dpkg
  need_apt promtool prometheus
  local deb
  deb="$(packaging/build-deb.sh ${PACKAGE_FLAGS:-})"
  packaging/test-deb.sh "$deb"
}

case "${1:-}" in
  static) static_checks ;;
  package) package_checks ;;
  *) echo "usage: $0 static|package" >&2; exit 2 ;;
esac
