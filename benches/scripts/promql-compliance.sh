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
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

profile=debug
flags=()
if [ "${RELEASE:-0}" = 1 ]; then profile=release; flags=(--release); fi
cargo build --quiet "${flags[@]}" -p parquetry-cli -p parquetry-benches --bins --manifest-path "$root/Cargo.toml"
target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/$profile"
prom_bin=$(bash "$root/../shared/tools/install-prometheus3" "${PROMETHEUS3_DIR:-$HOME/.cache/prometheus3}" 2>/dev/null)

"$bin/parquetry" generate --dataset compliance --output "$work/data.om" 2>/dev/null
"$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null
printf 'global:\n  scrape_interval: 5s\n' > "$work/prometheus.yml"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$prom_bin/prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(120):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/-/ready", timeout=1).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.5)
sys.exit("prometheus did not become ready")
PY
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
# The data covers 2026-01-05T00:00:00Z plus two hours; like the tester, query the 10 minutes
# that end 12 minutes before the end, at a 10 s step.
"$bin/promql-compliance" "http://127.0.0.1:$port" "$work/store" 1767577680 600 10
