#!/usr/bin/env bash
# Ticket listing benchmark (issue 13): 100,000 tickets in a fresh store, then the first page of `tickets`
# (page and totalCount, as the resolver runs them) timed in-process. Bounded: seeds, measures, exits.
# Usage: Benchmarks/ticket-queries.sh [release|debug] [itops-ticket-bench options]
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-release}"
shift || true
swift build -c "$configuration" --product itops-ticket-bench >/dev/null
"$(swift build -c "$configuration" --show-bin-path)/itops-ticket-bench" "$@"
