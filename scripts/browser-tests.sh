#!/usr/bin/env bash
# Browser tests of the operations console: Debian's chromium + chromium-driver, headless, driven by
# selenium (pinned in scripts/browser/requirements.txt, installed into .build-browser/venv), against
# a real `itops serve` on 127.0.0.1 with a temporary data directory. Builds nothing itself.
#
#   scripts/browser-tests.sh [path/to/itops]      # default: .build/debug/itops (built by `swift test`)
#
# BROWSER_SEED (default 10000): services seeded over REST before the overview's paint is measured
# (BENCHMARKS.md). Screenshots of every screen land in .build-browser/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/itops}
[ $# -gt 0 ] && shift
[ -x "$binary" ] || { echo "no itops binary at $binary: run swift build (or swift test) first" >&2; exit 2; }
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "installing chromium and chromium-driver (apt-get)" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi
venv=.build-browser/venv
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
    echo "installing selenium into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r scripts/browser/requirements.txt
fi
exec "$venv/bin/python" scripts/browser/console_tests.py --binary "$binary" "$@"
