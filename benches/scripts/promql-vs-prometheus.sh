#!/usr/bin/env bash
# Latency side by side: Prometheus 3.5 (HTTP API) and Parquetry (Rust API and CLI) on the
# same demo fleet, 6 h range queries at a 60 s step, release builds, medians of RUNS runs,
# with each query's peak memory on both sides and a check that the answers are the same.
# The harness starts (and stops) a Prometheus of its own for every query; then it times
# HTTP against HTTP, one Prometheus and one `parquetry serve` for the whole set, with
# both servers' peak memory.
#
# Usage: benches/scripts/promql-vs-prometheus.sh [SERIES] [RUNS]   (default 10000 5)
set -euo pipefail
series=${1:-10000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'rm -rf "$work"' EXIT

build_tools release
install_prometheus
"$bin/parquetry" generate --format openmetrics --series "$series" --duration 6h --output "$work/data.om" 2>/dev/null
"$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
rm "$work/data.om"
echo "series: $series, runs: $runs"
"$bin/promql-latency" "$prom_bin" "$work/prom" "$work/store" "$bin/parquetry" 1767571200 1767592800 "$runs"
