#!/usr/bin/env bash
# OTLP/HTTP span and Loki push throughput of `parquetry serve`: the same loopback load
# shape as remote-write-throughput.sh (CLIENTS clients sending one request after another
# for SECONDS, acknowledged once in the synced write-ahead log, committed every 5 s), with
# OTLP protobuf requests of 512 spans (the SDK's batch) and Loki push JSON bodies of 1,000
# lines of 200 bytes. Each on an empty store; prints acknowledged items and payload MB per
# second, per server CPU-second, and peak memory. (Tempo and Loki are not run beside it:
# neither can be installed here.)
#
# Usage: benches/scripts/push-throughput.sh [SECONDS] [CLIENTS]
#        (dev build; RELEASE=1 for a release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
trap 'stop_parquetry_serve; rm -rf "$work"' EXIT
seconds=${1:-30}
clients=${2:-8}

if [ "${RELEASE:-0}" = 1 ]; then build_tools release; else build_tools debug; fi
echo "== OTLP/HTTP spans into parquetry serve"
start_parquetry_serve "$work/spans"
"$bin/push-load" otlp-traces "$serve_url" "$seconds" "$clients" 512 "$serve_pid"
stop_parquetry_serve
echo "== Loki push into parquetry serve"
start_parquetry_serve "$work/logs"
"$bin/push-load" loki-push "$serve_url" "$seconds" "$clients" 1000 "$serve_pid"
