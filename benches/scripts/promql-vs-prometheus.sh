#!/usr/bin/env bash
# Latency side by side: Prometheus 3.5 (HTTP API) and Parquetry (Rust API) on the same demo
# fleet, 6 h range queries at a 60 s step, release builds, medians of RUNS runs. Also
# reports each engine's peak memory.
#
# Usage: benches/scripts/promql-vs-prometheus.sh [SERIES] [RUNS]   (default 10000 5)
set -euo pipefail
series=${1:-10000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cargo build --release --quiet -p parquetry-cli -p parquetry-benches --bins --manifest-path "$root/Cargo.toml"
target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/release"
prom_bin=$(bash "$root/../shared/tools/install-prometheus3" "${PROMETHEUS3_DIR:-$HOME/.cache/prometheus3}" 2>/dev/null)

"$bin/parquetry" generate --format openmetrics --series "$series" --duration 6h --output "$work/data.om" 2>/dev/null
"$prom_bin/promtool" tsdb create-blocks-from openmetrics "$work/data.om" "$work/prom" >/dev/null
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
rm "$work/data.om"
printf 'global:\n  scrape_interval: 15s\n' > "$work/prometheus.yml"
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
echo "series: $series, runs: $runs"
/usr/bin/time -f "parquetry harness peak memory: %M KiB" \
  "$bin/promql-latency" "http://127.0.0.1:$port" "$work/store" 1767571200 1767592800 "$runs"
echo "prometheus peak memory: $(grep VmHWM /proc/$prom_pid/status | awk '{print $2, $3}')"
