#!/usr/bin/env bash
# Recording-rule backtests side by side with `promtool tsdb create-blocks-from rules`
# (Prometheus 3.5). Generates the demo fleet, backfills a Prometheus with it, starts it on
# 127.0.0.1 (stopped again on exit), lets promtool evaluate testdata/rules/demo-recording.yml
# against it into new blocks, dumps them, and compares every recorded series with a
# Parquetry backtest over a store holding the same data. Exits non-zero on any difference.
#
# Usage: benches/scripts/rules-vs-promtool.sh [SERIES] [DURATION]   (defaults: 1000 4h)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'stop_prometheus; rm -rf "$work"' EXIT

series=${1:-1000}
duration=${2:-4h}
start=1767571200   # 2026-01-05T00:00:00Z, where the generator starts
build_tools debug
install_prometheus
"$bin/parquetry" generate --series "$series" --duration "$duration" --output "$work/data.om" 2>/dev/null
"$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null
start_prometheus "$work/prom"
seconds=$(python3 -c "import re,sys; d=sys.argv[1]; print(sum(int(n)*{'h':3600,'m':60,'s':1}[u] for n,u in re.findall(r'(\d+)([hms])', d)))" "$duration")
end=$((start + seconds - 60))
"$prom_bin/promtool" tsdb create-blocks-from rules --quiet --url "$prom_url" \
  --start "$((start + 600))" --end "$end" --output-dir "$work/backfill" \
  "$root/testdata/rules/demo-recording.yml" >/dev/null 2>"$work/backfill.log"
mkdir -p "$work/backfill/wal"   # dump-openmetrics opens the folder as a whole TSDB
"$prom_bin/promtool" tsdb dump-openmetrics "$work/backfill" > "$work/backfill.om"
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
"$bin/rules-vs-promtool" "$work/store" "$root/testdata/rules/demo-recording.yml" "$work/backfill.om" "$end"
