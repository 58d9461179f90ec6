#!/usr/bin/env bash
# Spans at scale: generates the shop's traces with its logs (`parquetry generate --dataset
# logs --spans N`: the spans carry the trace and span ids of the log lines), ingests the
# OTLP protobuf file, compacts, and runs benches/scripts/spans_vs_duckdb_chdb.py: bytes
# per span, trace lookups by id from a fresh process, and two TraceQL searches side by
# side with DuckDB and chDB over one Parquet file of the same spans.
#
#   bash benches/scripts/spans-bench.sh [SPANS] [WORK_DIR] [BIN]
#
# BIN is the `parquetry` binary to measure (a release build for the numbers in
# docs/benchmarks.md: `cargo build --release -p parquetry-cli`); the dev build by default.
# DuckDB and chDB come from PyPI (installed into the Python test environment when
# missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
spans=${1:-10000000}
work=${2:-$(mktemp -d)}
bin=${3:-${CARGO_TARGET_DIR:-target}/debug/parquetry}
python=${PARQUETRY_VENV:-$HOME/.cache/parquetry-venv}/bin/python
"$python" -c 'import duckdb, chdb, pytz' 2>/dev/null || "$python" -m pip install --quiet 'duckdb==2.0.0' 'chdb==4.4.0' pytz
timed() { /usr/bin/time -f "  %e s wall, %U s user, %S s system, %M KB peak RSS" "$@"; }
# The fleet is deterministic: a work folder that holds one of this size keeps it.
if [ "$(cat "$work/fleet/spans" 2>/dev/null)" != "$spans" ]; then
  echo "generating $spans spans (and the log lines of the same requests)"
  timed "$bin" generate --dataset logs --spans "$spans" --output "$work/fleet"
  echo "$spans" >"$work/fleet/spans"
fi
rm -rf "$work/store"
echo "ingest of $(du -b "$work/fleet/traces.otlp" | cut -f1) bytes of OTLP protobuf"
timed "$bin" ingest --store "$work/store" "$work/fleet/traces.otlp"
echo "compaction"
timed "$bin" compact --store "$work/store"
"$python" benches/scripts/spans_vs_duckdb_chdb.py "$bin" "$work/store" "$work"
