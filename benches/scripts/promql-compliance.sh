#!/usr/bin/env bash
# The 539 PromQL compliance queries, side by side: Prometheus 3.5 and Parquetry on the same
# generated data. Installs Prometheus 3.5.3 into a cache folder, backfills it with promtool,
# starts it on 127.0.0.1 (stopped again on exit), ingests the same file into a Parquetry
# store, and compares every query's answer. Ends with `N passed, N failed`; exits non-zero
# when any query differs.
#
# Usage: benches/scripts/promql-compliance.sh      (dev build; RELEASE=1 for a release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'stop_prometheus; rm -rf "$work"' EXIT

if [ "${RELEASE:-0}" = 1 ]; then build_tools release; else build_tools debug; fi
install_prometheus
"$bin/parquetry" generate --dataset compliance --output "$work/data.om" 2>/dev/null
"$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null
start_prometheus "$work/prom"
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
# The data covers 2026-01-05T00:00:00Z plus two hours; like the tester, query the 10 minutes
# that end 12 minutes before the end, at a 10 s step.
"$bin/promql-compliance" "$prom_url" "$work/store" 1767577680 600 10
