#!/usr/bin/env bash
# Remote write throughput, side by side: the same loopback load (CLIENTS clients, each
# sending 2,000-sample 1.0 requests one after another, as Prometheus' shards do) for
# SECONDS against `parquetry serve` (acknowledging once a request is in its synced
# write-ahead log, committing every 5 s) and against Prometheus 3.5's own receiver
# (`--web.enable-remote-write-receiver`), both on empty stores. Prints acknowledged
# samples per second, per server CPU-second, and peak memory, for each.
#
# Usage: benches/scripts/remote-write-throughput.sh [SECONDS] [CLIENTS]
#        (dev build; RELEASE=1 for a release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'stop_parquetry_serve; stop_prometheus; rm -rf "$work"' EXIT
seconds=${1:-30}
clients=${2:-8}

if [ "${RELEASE:-0}" = 1 ]; then build_tools release; else build_tools debug; fi
install_prometheus
echo "== parquetry serve"
start_parquetry_serve "$work/store"
"$bin/push-load" remote-write "$serve_url" "$seconds" "$clients" 2000 "$serve_pid"
stop_parquetry_serve
echo "== Prometheus 3.5"
start_prometheus "$work/prom" "" --web.enable-remote-write-receiver
"$bin/push-load" remote-write "$prom_url" "$seconds" "$clients" 2000 "$prom_pid"
