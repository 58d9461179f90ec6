"""`parquetry serve` under load: CLIENTS concurrent clients loop over ten dashboard range
queries for SECONDS seconds while ingests commit newer data into the store. Every answer
must equal the one the server gave before the load (the new data lies after the queries'
range, so no answer may change), no request may fail, and the server's peak memory is
reported against the bound its concurrency limit implies. Then queries past their
`timeout` must get Prometheus' timeout error, and the server must still answer after.

Usage: python serve_load.py PARQUETRY_BIN WORK_DIR [SECONDS] [CLIENTS]   (default 60 8)
Loopback only; every request has a client-side timeout, and the load stops at SECONDS.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

START = 1_767_571_200  # 2026-01-05T00:00:00Z, where `parquetry generate` starts
HOURS = 2
SERIES = 2000
MAX_CONCURRENCY = 4
#: The dashboard queries the latency harness times, over the first two hours.
QUERIES = [
    "rate(http_requests_total[5m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    'sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum by (job) (rate(http_requests_total[5m]))',
    "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "topk(5, rate(node_cpu_seconds_total[5m]))",
    "predict_linear(node_filesystem_avail_bytes[1h], 4 * 3600)",
    "deriv(sum by (instance) (rate(node_cpu_seconds_total[5m]))[30m:1m])",
    "increase(http_requests_total[1h])",
    'sum by (host) (label_replace(up, "host", "$1", "instance", "(.*):.*"))',
    "quantile_over_time(0.9, node_hwmon_temp_celsius[10m])",
]
#: Peak resident memory allowed: what the store and runtime hold, plus a share per slot.
MEMORY_BOUND_MIB = 128 + 64 * MAX_CONCURRENCY


def generate(binary: str, path: Path, start: int, duration: str) -> None:
    subprocess.run(
        [binary, "generate", "--series", str(SERIES), "--duration", duration, "--start", str(start), "--output", str(path)],
        check=True,
        stderr=subprocess.DEVNULL,
    )


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def answer(url: str, query: str, **extra: str) -> requests.Response:
    params = {"query": query, "start": START, "end": START + HOURS * 3600, "step": 60, **extra}
    return requests.post(f"{url}/api/v1/query_range", data=params, timeout=120)


def main() -> int:
    binary, work = sys.argv[1], Path(sys.argv[2])
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    work.mkdir(parents=True, exist_ok=True)
    store = work / "store"
    generate(binary, work / "base.om", START, f"{HOURS}h")
    subprocess.run([binary, "ingest", "--store", str(store), str(work / "base.om")], check=True, stdout=subprocess.DEVNULL)
    later = []
    for i in range(6):
        path = work / f"later-{i}.om"
        generate(binary, path, START + HOURS * 3600 + 600 * (i + 1), "5m")
        later.append(path)

    log = (work / "serve.log").open("w")
    server = subprocess.Popen(
        [binary, "serve", "--store", str(store), "--listen", "127.0.0.1:0", "--query.max-concurrency", str(MAX_CONCURRENCY)],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline and server.poll() is None:
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", (work / "serve.log").read_text())
            url = found.group(1) if found else None
            time.sleep(0.05)
        if url is None:
            print("parquetry serve did not start", file=sys.stderr)
            return 1
        return load(binary, url, server.pid, store, later, seconds, clients)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def load(binary: str, url: str, pid: int, store: Path, later: list[Path], seconds: int, clients: int) -> int:
    expected = {}
    for q in QUERIES:
        response = answer(url, q)
        response.raise_for_status()
        expected[q] = response.json()["data"]
    counts = {"requests": 0, "errors": 0, "wrong": 0, "commits": 0}
    problems: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.monotonic() < stop_at:
            q = QUERIES[i % len(QUERIES)]
            i += 1
            try:
                response = answer(url, q)
                ok = response.status_code == 200
                right = ok and response.json()["data"] == expected[q]
            except requests.RequestException as e:
                ok, right, response = False, False, e
            with lock:
                counts["requests"] += 1
                if not ok:
                    counts["errors"] += 1
                    problems.append(f"{q}: {getattr(response, 'text', response)}"[:300])
                elif not right:
                    counts["wrong"] += 1
                    problems.append(f"{q}: answer changed under load")

    def ingest() -> None:
        for path in later:
            if time.monotonic() >= stop_at:
                break
            subprocess.run([binary, "ingest", "--store", str(store), str(path)], check=True, stdout=subprocess.DEVNULL)
            with lock:
                counts["commits"] += 1
            time.sleep(max(0.0, min(seconds / (len(later) + 1), stop_at - time.monotonic())))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=ingest))
    peak_sampled = 0
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak_sampled = max(peak_sampled, vm_kib(pid, "VmRSS"))
        time.sleep(0.25)
    for t in threads:
        t.join()
    peak_mib = vm_kib(pid, "VmHWM") / 1024
    new_data = requests.get(f"{url}/api/v1/query", params={"query": "count(up)", "time": START + HOURS * 3600 + 600 * counts["commits"]}, timeout=60)
    sees_commits = new_data.status_code == 200 and bool(new_data.json()["data"]["result"])

    timeouts = [answer(url, QUERIES[6], timeout="1ms") for _ in range(4)]
    timed_out = sum(r.status_code == 503 and r.json().get("errorType") == "timeout" for r in timeouts)
    after = answer(url, QUERIES[0])
    still_right = after.status_code == 200 and after.json()["data"] == expected[QUERIES[0]]

    print(
        f"load: {clients} clients for {seconds} s, {counts['requests']} requests, {counts['errors']} errors, "
        f"{counts['wrong']} wrong answers, while {counts['commits']} ingests committed (seen by queries: {sees_commits})"
    )
    print(f"memory: peak {peak_mib:.0f} MiB resident (bound {MEMORY_BOUND_MIB} MiB for {MAX_CONCURRENCY} query slots)")
    print(f"timeouts: {timed_out} of {len(timeouts)} queries past a 1 ms timeout got Prometheus' timeout error; answers after: {'right' if still_right else 'WRONG'}")
    for p in problems[:10]:
        print(f"  problem: {p}")
    failed = (
        counts["errors"] or counts["wrong"] or not counts["commits"] or not sees_commits
        or peak_mib > MEMORY_BOUND_MIB or timed_out != len(timeouts) or not still_right
    )
    print("serve load: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
