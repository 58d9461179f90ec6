#!/usr/bin/env bash
# Logs on disk: generates the log fleet (`parquetry generate --dataset logs`), ingests each file
# as a stream with the CLI, and prints the ingest summaries (raw line bytes, bytes written,
# MB/s), what each column of the entries files costs, and how much of the store a search
# for a substring of one line and for one trace id read (benches/bin/logs_skipping.rs).
#
#   bash benches/scripts/logs-compression.sh [MEGABYTES] [WORK_DIR]
#
# Uses the CLI of the dev build (scripts/build-all) and pyarrow from the Python test
# environment (scripts/test-python).
set -euo pipefail
cd "$(dirname "$0")/../.."
mb=${1:-300}
work=${2:-$(mktemp -d)}
bin="${CARGO_TARGET_DIR:-target}/debug/parquetry"
python=${PARQUETRY_VENV:-$HOME/.cache/parquetry-venv}/bin/python
# The fleet is deterministic: a work folder that holds one of this size keeps it.
if [ "$(cat "$work/fleet/megabytes" 2>/dev/null)" != "$mb" ]; then
  "$bin" generate --dataset logs --megabytes "$mb" --output "$work/fleet"
  echo "$mb" >"$work/fleet/megabytes"
fi
rm -rf "$work/store"
for part in app.jsonl:api ingress.log:ingress worker.log:worker; do
  file=${part%%:*}
  "$bin" ingest --store "$work/store" --signal logs --label app=shop --label "component=${part##*:}" "$work/fleet/$file"
done
"$python" - "$work/store" <<'PY'
import collections, glob, sys
import pyarrow.parquet as pq
sizes = collections.Counter()
for f in glob.glob(f"{sys.argv[1]}/log_entries/*/*.parquet"):
    md = pq.ParquetFile(f).metadata
    for rg in range(md.num_row_groups):
        for c in range(md.row_group(rg).num_columns):
            col = md.row_group(rg).column(c)
            sizes[col.path_in_schema.split(".")[0]] += col.total_compressed_size
total = sum(sizes.values())
for name, size in sizes.most_common():
    print(f"{name:22s} {size / 1e6:9.2f} MB  {100 * size / total:5.1f} %")
PY
# Needles from the middle of the fleet: the trace id of an app line (as a trace id, and as
# a bare substring, which no filter token bounds), its request id as the JSON field, and a
# worker job id that occurs in one line.
middle=$(sed -n '300000p' "$work/fleet/app.jsonl")
field() { printf '%s' "$middle" | "$python" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
trace=$(field traceId)
request=$(field requestId)
job=$(grep -m1 -o 'id=[0-9a-f]* finished' <(sed -n '40000,$p' "$work/fleet/worker.log"))
"${CARGO_TARGET_DIR:-target}/debug/logs-skipping" "$work/store" "$trace" "$trace" "\"requestId\":\"$request\"" "$job"
