#!/usr/bin/env bash
# Median wall time and peak memory of PromQL range queries (6 h at a 60 s step) through
# the `parquetry query` CLI, on the demo fleet at a given size.
#
# Usage: benches/scripts/promql-range-queries.sh [SERIES] [RUNS]   (default 10000 5)
set -euo pipefail
series=${1:-10000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'rm -rf "$work"' EXIT

build_tools release
"$bin/parquetry" generate --format openmetrics --series "$series" --duration 6h --output "$work/data.om" 2>/dev/null
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
rm "$work/data.om"

queries=(
  'rate(http_requests_total[5m])'
  'sum by (job) (rate(http_requests_total[5m]))'
  'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'
)
echo "series: $series, runs per query: $runs"
echo "| query | median wall time | peak memory |"
echo "|---|---|---|"
for q in "${queries[@]}"; do
  : > "$work/times"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$bin/parquetry" query --store "$work/store" \
      --start 2026-01-05T00:00:00Z --end 2026-01-05T06:00:00Z --step 60s --format json "$q" > /dev/null
    cat "$work/t" >> "$work/times"
  done
  python3 - "$q" "$work/times" <<'PY'
import statistics, sys
q, path = sys.argv[1], sys.argv[2]
rows = [l.split() for l in open(path) if l.strip()]
wall = statistics.median(float(r[0]) for r in rows)
rss = max(int(r[1]) for r in rows) / 1024
print(f"| `{q}` | {wall*1000:.0f} ms | {rss:.0f} MiB |")
PY
done
