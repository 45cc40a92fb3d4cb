#!/usr/bin/env bash
# SLA query benchmark (issue #4): 10,000 services with 90 days of transitions in a fresh SQLite
# store, rolled up, then slaDashboardStats, slaGroups and 12-month slaTrendData timed in-process;
# and the same current-month query over 1 and 12 months of history. Bounded: it seeds, measures
# and exits. Usage: Benchmarks/sla-queries.sh [release|debug] [itops-sla-bench options]
#
#   Benchmarks/sla-queries.sh release --guard BENCHMARKS.md   # CI guard, ~1 minute after the build:
#     10,000 services with 3 days of history; fails when slaDashboardStats, measured against the time to
#     read every service row in the same process, is more than 1.5 x the `sla-guard-baseline` line.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-release}"
shift || true
swift build -c "$configuration" --product itops-sla-bench >/dev/null
"$(swift build -c "$configuration" --show-bin-path)/itops-sla-bench" "$@"
