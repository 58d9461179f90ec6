# Shared set-up of the benchmark scripts (and of those that compare Parquetry with
# Prometheus 3.5). Source it after
# setting `root` (the repository) and `work` (a temporary folder); it defines:
#   build_tools PROFILE     builds the CLI and the comparison binaries (`debug`: as the
#                           test build builds them, so nothing compiles twice; or
#                           `release`); sets `bin`
#   install_prometheus      installs Prometheus 3.5.3; sets `prom_bin`
#   start_prometheus DIR [CONFIG [FLAG…]]
#                           starts it on a free 127.0.0.1 port over the TSDB in DIR
#                           (with CONFIG unless empty, where PROM_ADDRESS stands for its
#                           own host:port; with more FLAGs) and waits until it is ready;
#                           sets `prom_url` and `prom_pid`
#   stop_prometheus         stops it (call from an EXIT trap)
#   start_parquetry_serve DIR [ARG…]
#                           serves the store in DIR on a free port, with more ARGs of
#                           `parquetry serve`; sets `serve_url`
#   stop_parquetry_serve    stops it (call from an EXIT trap)

prom_pid=""

build_tools() {
  if [ "$1" = release ]; then
    cargo build --quiet --release --workspace --bins --manifest-path "$root/Cargo.toml"
  else
    cargo test --quiet --profile dev --no-run --workspace --manifest-path "$root/Cargo.toml"
  fi
  local target
  target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  bin="$target/$1"
}

install_prometheus() {
  prom_bin=$(bash "$root/../shared/tools/install-prometheus3" "${PROMETHEUS3_DIR:-$HOME/.cache/prometheus3}" 2>/dev/null)
}

start_prometheus() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ -n "${2:-}" ]; then
    sed "s|PROM_ADDRESS|127.0.0.1:$port|g" "$2" > "$work/prometheus.yml"
  else
    printf 'global:\n  scrape_interval: 15s\n' > "$work/prometheus.yml"
  fi
  "$prom_bin/prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$1" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" "${@:3}" >"$work/prometheus.log" 2>&1 &
  prom_pid=$!
  prom_url="http://127.0.0.1:$port"
  python3 - "$prom_url" <<'PY'
import sys, time, urllib.request
for _ in range(120):
    try:
        if urllib.request.urlopen(sys.argv[1] + "/-/ready", timeout=1).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.5)
sys.exit("prometheus did not become ready")
PY
}

stop_prometheus() {
  if [ -n "$prom_pid" ]; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
}

serve_pid=""

# Starts `parquetry serve` over the store in DIR on a free 127.0.0.1 port and waits
# until it listens; sets `serve_url` and `serve_pid`.
start_parquetry_serve() {
  "$bin/parquetry" serve --store "$1" --listen 127.0.0.1:0 "${@:2}" 2>"$work/serve.log" &
  serve_pid=$!
  serve_url=$(python3 - "$work/serve.log" <<'PY'
import re, sys, time
for _ in range(600):
    found = re.search(r"on (http://[0-9.:]+)", open(sys.argv[1]).read())
    if found:
        sys.exit(print(found.group(1)))
    time.sleep(0.1)
sys.exit("parquetry serve did not start")
PY
)
}

stop_parquetry_serve() {
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
}
