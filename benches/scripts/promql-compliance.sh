#!/usr/bin/env bash
# The 539 PromQL compliance queries, side by side: Prometheus 3.5 and Parquetry on the same
# generated data. Installs Prometheus 3.5.3 into a cache folder, backfills it with promtool,
# starts it on 127.0.0.1 (stopped again on exit), ingests the same file into a Parquetry
# store, and compares every query's answer: once from the store in process, once through
# `parquetry serve`'s HTTP API. Then promtool's `query instant|range|series|labels` run
# against both servers must print the same. Each comparison ends with
# `N passed, N failed`; the script exits non-zero when any differs.
#
# Usage: benches/scripts/promql-compliance.sh      (dev build; RELEASE=1 for a release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'stop_parquetry_serve; stop_prometheus; rm -rf "$work"' EXIT

if [ "${RELEASE:-0}" = 1 ]; then build_tools release; else build_tools debug; fi
install_prometheus
"$bin/parquetry" generate --dataset compliance --output "$work/data.om" 2>/dev/null
"$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null
start_prometheus "$work/prom"
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
# The data covers 2026-01-05T00:00:00Z plus two hours; like the tester, query the 10 minutes
# that end 12 minutes before the end, at a 10 s step.
end=1767577680
"$bin/promql-compliance" "$prom_url" "$work/store" "$end" 600 10
start_parquetry_serve "$work/store"
"$bin/promql-compliance" "$prom_url" "$serve_url" "$end" 600 10

# promtool against both servers: the same command must print the same lines (sorted: an
# instant vector's order is not part of its meaning).
passed=0 failed=0
same_output() {
  local ours theirs
  theirs=$("$prom_bin/promtool" query "$@" 2>&1 | sed "s|$prom_url|SERVER|g" | sort) || true
  ours=$("$prom_bin/promtool" query "${@/$prom_url/$serve_url}" 2>&1 | sed "s|$serve_url|SERVER|g" | sort) || true
  if [ "$ours" = "$theirs" ] && [ -n "$ours" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL promtool query $*"
    diff <(echo "$theirs") <(echo "$ours") | head -n 10 || true
  fi
}
for q in 'demo_num_cpus' 'sum by (instance) (demo_memory_usage_bytes)' \
  'rate(demo_cpu_usage_seconds_total[5m])' 'demo_num_cpus > 2' 'time()' '"text"' \
  'histogram_quantile(0.9, sum by (le) (rate(demo_api_request_duration_seconds_bucket[5m])))'; do
  same_output instant --time="$end" "$prom_url" "$q"
  same_output range --start=$((end - 600)) --end="$end" --step=30s "$prom_url" "$q"
done
same_output series --match='demo_num_cpus' --match='{__name__=~"demo_disk.*"}' "$prom_url"
same_output labels "$prom_url" __name__
same_output labels --match='demo_memory_usage_bytes' "$prom_url" instance
echo "$passed passed, $failed failed (promtool query against Prometheus 3.5 and parquetry serve)"
[ "$failed" = 0 ]
