#!/usr/bin/env bash
# Ingest speed and size on disk: Parquetry against Prometheus 3.5's promtool backfill, on
# the same OpenMetrics file, each pinned to one core.
#
# Usage: benches/scripts/ingest-vs-promtool.sh [SERIES] [DURATION]   (default 2000 6h)
# Needs: a release build (built here), and ../shared/tools/install-prometheus3.
set -euo pipefail
series=${1:-2000}
duration=${2:-6h}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'rm -rf "$work"' EXIT

build_tools release
install_prometheus
parquetry="$bin/parquetry"

"$parquetry" generate --format openmetrics --series "$series" --duration "$duration" --output "$work/data.om"
samples=$(grep -vc '^#' "$work/data.om")

start=$(date +%s.%N)
taskset -c 0 "$parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
pq_secs=$(echo "$(date +%s.%N) - $start" | bc)
pq_samples_bytes=$(find "$work/store/samples" -name '*.parquet' -printf '%s\n' | paste -sd+ | bc)
pq_total_bytes=$(du -sb "$work/store" | cut -f1)

start=$(date +%s.%N)
taskset -c 0 "$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null 2>&1
prom_secs=$(echo "$(date +%s.%N) - $start" | bc)
prom_chunk_bytes=$(find "$work/prom" -path '*/chunks/*' -type f -printf '%s\n' | paste -sd+ | bc)
prom_total_bytes=$(du -sb "$work/prom" | cut -f1)

python3 - "$samples" "$pq_secs" "$pq_samples_bytes" "$pq_total_bytes" "$prom_secs" "$prom_chunk_bytes" "$prom_total_bytes" <<'PY'
import sys
n, pq_s, pq_b, pq_t, pr_s, pr_b, pr_t = map(float, sys.argv[1:])
print(f"samples: {int(n)}")
print("| engine | samples/s (one core) | bytes/sample, sample data | bytes/sample, whole store |")
print("|---|---|---|---|")
print(f"| Parquetry | {n/pq_s:,.0f} | {pq_b/n:.2f} | {pq_t/n:.2f} |")
print(f"| Prometheus 3.5 promtool | {n/pr_s:,.0f} | {pr_b/n:.2f} | {pr_t/n:.2f} |")
print(f"| ratio Parquetry/Prometheus | {(n/pq_s)/(n/pr_s):.1f}x faster | {pq_b/pr_b:.2f} | {pq_t/pr_t:.2f} |")
PY
