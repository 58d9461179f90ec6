#!/usr/bin/env bash
# SQL side by side with DuckDB (from PyPI) on the same data: generates the demo fleet,
# ingests it, and runs benches/sql/queries.json on both engines (see sql_vs_duckdb.py).
# Ends with `N passed, N failed, N skipped`; exits non-zero when any answer differs.
#
# Usage: benches/scripts/sql-vs-duckdb.sh [SERIES] [DURATION] [--bench RUNS]
#        (defaults: 500 4h; RELEASE=1 for a release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$root/benches/scripts/prometheus-lib.sh"

series=${1:-500}
duration=${2:-4h}
shift $(( $# < 2 ? $# : 2 ))
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet 'duckdb==2.0.0'
if [ "${RELEASE:-0}" = 1 ]; then build_tools release; else build_tools debug; fi
"$bin/parquetry" generate --series "$series" --duration "$duration" --output "$work/data.om" 2>/dev/null
"$bin/parquetry" ingest --store "$work/store" "$work/data.om" >/dev/null
python3 "$root/benches/scripts/sql_vs_duckdb.py" "$bin" "$work/store" "$work" "$@"
