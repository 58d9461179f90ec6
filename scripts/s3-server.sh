# A local S3-compatible server for the object-storage tests: moto in server mode (from
# PyPI), on a free 127.0.0.1 port, with one bucket. Source it, then:
#   start_s3_server VENV   installs moto into the virtual environment VENV if missing,
#                          starts it, creates the bucket, and exports what the tests and
#                          the S3 client read: PARQUETRY_TEST_S3 (s3://bucket), the
#                          endpoint (AWS_ENDPOINT_URL, AWS_ALLOW_HTTP) and test credentials
#   stop_s3_server         stops it (call from an EXIT trap)

s3_pid=""

start_s3_server() {
  local venv=$1
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import moto.server' 2>/dev/null \
    || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/parquetry-moto-$port.log" 2>&1 &
  s3_pid=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true
  export AWS_ACCESS_KEY_ID=parquetry-test AWS_SECRET_ACCESS_KEY=parquetry-test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  export PARQUETRY_TEST_S3=s3://parquetry-test
  python3 - "$AWS_ENDPOINT_URL" <<'PY'
import sys, time, urllib.request
url = sys.argv[1]
for _ in range(100):
    try:
        urllib.request.urlopen(urllib.request.Request(url + "/parquetry-test", method="PUT"), timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("the S3 server did not start")
PY
}

stop_s3_server() {
  if [ -n "$s3_pid" ]; then
    kill "$s3_pid" 2>/dev/null || true
    wait "$s3_pid" 2>/dev/null || true
  fi
}
