"""`parquetry serve` as the receiver of live telemetry: an application instrumented with
the OpenTelemetry SDK (from PyPI) exports spans, logs and metrics over OTLP/HTTP,
`requests` pushes logs as promtail does, and the command line then finds every one of
them."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from serving import cli, start_serve

APP = Path(__file__).parent / "data" / "instrumented_app.py"
T0 = 1_767_323_040  # 2026-01-02T03:04:00Z, in seconds


@pytest.fixture()
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    """`parquetry serve` receiving into a new store, committing every 200 ms."""
    store = tmp_path / "store"
    server, url = start_serve(store, tmp_path / "serve.err", "--write.flush-interval", "200ms")
    try:
        yield url, store, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)


def stop(server: subprocess.Popen) -> None:
    """Stops the server as an operator does (SIGTERM), which commits what it holds."""
    server.terminate()
    assert server.wait(timeout=30) == 0


def run_cli(*args: str) -> str:
    return subprocess.run([str(cli()), *args], check=True, capture_output=True, text=True).stdout


def test_the_opentelemetry_sdk_exports_spans_logs_and_metrics_that_the_cli_finds(receiver) -> None:
    url, store, server = receiver
    app = subprocess.run([sys.executable, str(APP), url, "20"], capture_output=True, text=True, timeout=120)
    assert app.returncode == 0, app.stderr
    made = json.loads(app.stdout)
    assert made["flushed"], "the SDK's exporters report a failed export"
    stop(server)
    for trace_id, spans in made["traces"].items():
        exported = json.loads(run_cli("trace", "--store", str(store), "--format", "json", trace_id))
        names = sorted(
            s["name"] for r in exported["batches"] for scope in r["scopeSpans"] for s in scope["spans"]
        )
        assert names == ["POST /orders", "charge card", "write order"], trace_id
        assert len(names) == spans
    answer = json.loads(
        run_cli(
            "logql", "--store", str(store), "--start", "2000-01-01T00:00:00Z", "--end", "2100-01-01T00:00:00Z",
            "--limit", "1000", "--format", "json", '{service_name="checkout"}',
        )
    )
    entries = [(stream["stream"], line) for stream in answer["data"]["result"] for _, line in stream["values"]]
    assert sorted(line for _, line in entries) == sorted(made["messages"])
    # Each record names the span it was written in, and that span is in the store.
    declined = json.loads(
        run_cli(
            "logql", "--store", str(store), "--start", "2000-01-01T00:00:00Z", "--end", "2100-01-01T00:00:00Z",
            "--format", "json", '{service_name="checkout"} |= "declined" | severity_text="ERROR"',
        )
    )
    streams = declined["data"]["result"]
    assert sum(len(s["values"]) for s in streams) == 4
    for stream in streams:
        assert stream["stream"]["trace_id"] in made["traces"]
    # Metrics under the names Prometheus 3 gives them, with the service as `job`.
    # A second ahead: the points carry the export's time, at most a moment ago.
    at = str(int(time.time()) + 1)

    def value(query: str) -> float:
        answer = json.loads(run_cli("query", "--store", str(store), "--time", at, "--format", "json", query))
        return float(answer["data"]["result"][0]["value"][1])

    assert value('sum(orders_total{job="checkout"})') == 20
    assert value('sum(orders_total{outcome="declined"})') == 4
    assert value("sum(charge_duration_milliseconds_count)") == 20
    assert value('sum(charge_duration_milliseconds_bucket{le="+Inf"})') == 20
    assert value('count(target_info{deployment_environment="test"})') == 1


def test_pushed_logs_arrive_as_promtail_sends_them(receiver) -> None:
    url, store, server = receiver
    body = {
        "streams": [
            {"stream": {"app": "api", "env": "prod"}, "values": [[str((T0 + i) * 10**9), f"request {i}"] for i in range(50)]}
        ]
    }
    answer = requests.post(
        f"{url}/loki/api/v1/push",
        data=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert answer.status_code == 204, answer.text
    bad = requests.post(f"{url}/loki/api/v1/push", json={"streams": [{"stream": {}, "values": [["1", "x"]]}]}, timeout=30)
    assert bad.status_code == 400 and "at least one label" in bad.text
    # The commit lands within the flush interval: the server's own Loki API sees it.
    deadline = time.monotonic() + 30
    lines: list[str] = []
    while time.monotonic() < deadline and len(lines) < 50:
        params = {"query": '{app="api"}', "start": T0, "end": T0 + 60, "limit": 100}
        got = requests.get(f"{url}/loki/api/v1/query_range", params=params, timeout=30).json()
        lines = [line for s in got["data"]["result"] for _, line in s["values"]]
        time.sleep(0.1)
    assert sorted(lines) == sorted(f"request {i}" for i in range(50))
    stop(server)
