#!/usr/bin/env bash
# Prometheus 3.5 as a real remote write sender and remote read client: it scrapes itself
# every second and remote-writes every sample to `parquetry serve` for a minute; then the
# queries of testdata/remote-write-queries.txt, as range queries over the last 20 s of
# that minute, must answer the same from Prometheus' own TSDB and from Parquetry
# (compared as the compliance harness compares, annotations included). Then a second
# Prometheus with no data of its own and `remote_read` pointing at Parquetry must
# answer them the same too. Each comparison ends with `N passed, N failed`; the script
# exits non-zero when any differs.
#
# Usage: benches/scripts/remote-write-vs-prometheus.sh [SECONDS]   (default 60)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
source "$root/benches/scripts/prometheus-lib.sh"
reader_pid=""
trap 'stop_parquetry_serve; stop_prometheus; [ -z "$reader_pid" ] || kill "$reader_pid" 2>/dev/null; rm -rf "$work"' EXIT
seconds=${1:-60}

build_tools debug
install_prometheus
start_parquetry_serve "$work/store" --write.flush-interval 1s
cat > "$work/sender.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["PROM_ADDRESS"]
remote_write:
  - url: $serve_url/api/v1/write
    queue_config:
      batch_send_deadline: 1s
    metadata_config:
      send_interval: 5s
YML
started=$(date +%s)
start_prometheus "$work/prom" "$work/sender.yml"
sleep "$seconds"
end=$((started + seconds - 5))
# Wait until Prometheus has sent everything up to the end of the window, then for two
# of Parquetry's flush intervals.
python3 - "$prom_url" "$end" <<'PY'
import json, sys, time, urllib.parse, urllib.request
url, end = sys.argv[1], float(sys.argv[2])
query = "min(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)"
for _ in range(120):
    answer = json.load(urllib.request.urlopen(url + "/api/v1/query?query=" + urllib.parse.quote(query)))
    result = answer["data"]["result"]
    if result and float(result[0]["value"][1]) >= end + 2:
        sys.exit(0)
    time.sleep(0.5)
sys.exit("Prometheus did not send its samples in time")
PY
sleep 2
echo "== the sender's own TSDB against parquetry serve"
"$bin/promql-compliance" "$prom_url" "$serve_url" "$end" 20 1 "$root/testdata/remote-write-queries.txt"
curl -sf "$serve_url/api/v1/metadata?metric=go_goroutines" | grep -q '"type":"gauge"' \
  || { echo "FAIL: the remote-written metadata of go_goroutines is not served"; exit 1; }
echo "remote-written metadata served"

# A Prometheus with an empty TSDB that reads everything from Parquetry.
sender_url=$prom_url sender_pid=$prom_pid
cat > "$work/reader.yml" <<YML
remote_read:
  - url: $serve_url/api/v1/read
    read_recent: true
YML
work_sender=$work
work=$work/reader-run && mkdir -p "$work"
start_prometheus "$work/prom" "$work_sender/reader.yml"
reader_url=$prom_url reader_pid=$prom_pid
prom_url=$sender_url prom_pid=$sender_pid work=$work_sender
echo "== the sender's own TSDB against a Prometheus remote-reading parquetry serve"
"$bin/promql-compliance" "$prom_url" "$reader_url" "$end" 20 1 "$root/testdata/remote-write-queries.txt"
