"""`parquetry serve` driven by Python's `requests`: the Loki and Tempo endpoints answer
what the command line answers with `--format json`, and bad requests get the status
codes and bodies Loki and Tempo give."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

import parquetry
from serving import cli, start_serve

T0 = 1_767_323_040  # 2026-01-02T03:04:00Z, in seconds
SECOND = 1_000_000_000
TRACE_A = "5b8efff798038103d269b633813fc60c"
TRACE_B = "0af7651916cd43dd8448eb211c80319c"


def log_push() -> dict:
    """Two streams, a line a second for two minutes; every fourth an error that names a trace."""

    def values(app: str) -> list[list[str]]:
        out = []
        for i in range(120):
            if i % 4 == 0:
                trace = TRACE_A if i % 8 == 0 else TRACE_B
                line = f"level=error app={app} traceID={trace} took={i}ms"
            else:
                line = f"level=info app={app} took={i}ms"
            out.append([str((T0 + i) * SECOND), line])
        return out

    return {"streams": [{"stream": {"app": app, "env": "prod"}, "values": values(app)} for app in ("api", "worker")]}


def span(trace: str, span_id: int, parent: int | None, service: str, name: str, start_s: int, ms: int, error: bool) -> dict:
    record = {
        "traceId": trace,
        "spanId": f"{span_id:016x}",
        "name": name,
        "kind": "SPAN_KIND_SERVER" if parent is None else "SPAN_KIND_CLIENT",
        "startTimeUnixNano": str((T0 + start_s) * SECOND),
        "endTimeUnixNano": str((T0 + start_s) * SECOND + ms * 1_000_000),
        "attributes": [{"key": "http.route", "value": {"stringValue": f"/{name}"}}],
        "status": {"code": 2 if error else 0},
    }
    if parent is not None:
        record["parentSpanId"] = f"{parent:016x}"
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [record]}]}]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A store with the logs and spans above, and `parquetry serve` over it on a free port."""
    binary = cli()
    root = tmp_path_factory.mktemp("serve")
    store = root / "store"
    db = parquetry.open(store)
    (root / "push.json").write_text(json.dumps(log_push()))
    db.ingest(root / "push.json")
    spans = [
        span(TRACE_A, 1, None, "frontend", "checkout", 0, 120, False),
        span(TRACE_A, 2, 1, "payment", "charge", 1, 80, True),
        span(TRACE_B, 3, None, "frontend", "browse", 4, 15, False),
    ]
    (root / "traces.jsonl").write_text("".join(json.dumps(s) + "\n" for s in spans))
    db.ingest(root / "traces.jsonl")
    server, url = start_serve(store, root / "serve.err")
    try:
        yield url, store
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_cli(*args: str) -> dict:
    out = subprocess.run([str(cli()), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def without_stats(body: dict) -> dict:
    """A Loki body without `stats` (timings differ between any two runs)."""
    data = dict(body["data"])
    data.pop("stats", None)
    return {**body, "data": data}


# Loki


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_loki_log_range_queries_match_the_command_line(served: tuple[str, Path], direction: str) -> None:
    url, store = served
    query = '{app="api"} |= "error"'
    params = {"query": query, "start": T0, "end": T0 + 90, "limit": 7, "direction": direction}
    http = requests.get(f"{url}/loki/api/v1/query_range", params=params, timeout=30)
    assert http.status_code == 200, http.text
    assert http.json()["data"]["resultType"] == "streams"
    cmd = run_cli(
        "logql", "--store", str(store), "--start", str(T0), "--end", str(T0 + 90),
        "--limit", "7", "--direction", direction, "--format", "json", query,
    )
    assert without_stats(http.json()) == without_stats(cmd)
    lines = [line for stream in http.json()["data"]["result"] for _, line in stream["values"]]
    assert len(lines) == 7 and all("level=error" in line for line in lines)


def test_loki_metric_queries_match_the_command_line(served: tuple[str, Path]) -> None:
    url, store = served
    query = 'sum by (app) (count_over_time({env="prod"} |= "error" [30s]))'
    form = {"query": query, "start": str(T0), "end": str(T0 + 120), "step": "30s"}
    http = requests.post(f"{url}/loki/api/v1/query_range", data=form, timeout=30)
    assert http.status_code == 200, http.text
    cmd = run_cli(
        "logql", "--store", str(store), "--start", str(T0), "--end", str(T0 + 120),
        "--step", "30s", "--format", "json", query,
    )
    assert without_stats(http.json()) == without_stats(cmd)
    assert http.json()["data"]["resultType"] == "matrix"

    instant = requests.get(f"{url}/loki/api/v1/query", params={"query": query, "time": T0 + 60}, timeout=30)
    cmd = run_cli("logql", "--store", str(store), "--time", str(T0 + 60), "--format", "json", query)
    assert without_stats(instant.json()) == without_stats(cmd)
    values = {s["metric"]["app"]: s["value"][1] for s in instant.json()["data"]["result"]}
    assert values == {"api": "8", "worker": "8"}


def test_grafanas_loki_health_check_passes(served: tuple[str, Path]) -> None:
    url, _ = served
    body = requests.get(
        f"{url}/loki/api/v1/query", params={"query": "vector(1)+vector(1)", "time": "4000000000"}, timeout=30
    ).json()
    # Ten digits are seconds to Loki, so this asks about 2096; the answer is 2 at any time.
    assert body["status"] == "success"
    assert body["data"]["resultType"] == "vector"
    assert body["data"]["result"][0]["value"] == [4_000_000_000, "2"]


def test_loki_labels_values_series_and_index(served: tuple[str, Path]) -> None:
    url, _ = served
    window = {"start": T0, "end": T0 + 120}
    labels = requests.get(f"{url}/loki/api/v1/labels", params=window, timeout=30).json()
    assert labels == {"status": "success", "data": ["app", "env"]}
    values = requests.get(f"{url}/loki/api/v1/label/app/values", params=window, timeout=30).json()
    assert values["data"] == ["api", "worker"]
    narrowed = requests.get(
        f"{url}/loki/api/v1/label/app/values", params={**window, "query": '{app="api"}'}, timeout=30
    ).json()
    assert narrowed["data"] == ["api"]
    series = requests.get(f"{url}/loki/api/v1/series", params={**window, "match[]": '{app=~"w.*"}'}, timeout=30).json()
    assert series["data"] == [{"app": "worker", "env": "prod"}]
    before = requests.get(f"{url}/loki/api/v1/labels", params={"start": T0 - 7200, "end": T0 - 3600}, timeout=30)
    assert before.json()["data"] == []

    stats = requests.get(f"{url}/loki/api/v1/index/stats", params={**window, "query": '{env="prod"}'}, timeout=30)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert (body["streams"], body["entries"]) == (2, 240)
    expected_bytes = sum(len(line) for stream in log_push()["streams"] for _, line in stream["values"])
    assert body["bytes"] == expected_bytes and body["chunks"] >= 2

    volume = requests.get(f"{url}/loki/api/v1/index/volume", params={**window, "query": '{app=~".+"}'}, timeout=30)
    assert volume.status_code == 200, volume.text
    result = volume.json()["data"]["result"]
    assert sorted(r["metric"]["app"] for r in result) == ["api", "worker"]
    assert sum(int(r["value"][1]) for r in result) == expected_bytes
    ranged = requests.get(
        f"{url}/loki/api/v1/index/volume_range",
        params={**window, "query": '{app="api"}', "step": "60s"},
        timeout=30,
    ).json()
    assert ranged["data"]["resultType"] == "matrix"


def test_loki_format_query_and_build_info(served: tuple[str, Path]) -> None:
    url, _ = served
    formatted = requests.get(f"{url}/loki/api/v1/format_query", params={"query": '{app="api"}|="x"'}, timeout=30)
    assert formatted.json() == {"status": "success", "data": '{app="api"} |= "x"'}
    info = requests.get(f"{url}/loki/api/v1/status/buildinfo", timeout=30).json()
    assert info["version"].startswith("3.")


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("query_range", {"query": '{app="api"', "start": T0, "end": T0 + 60}, "parse error at line 1, col"),
        ("query_range", {"query": '{app="api"}', "start": T0 + 60, "end": T0}, "end timestamp must not be before"),
        ("query_range", {"query": '{app="api"}', "start": T0, "end": T0 + 60, "step": "0"}, "zero or negative"),
        ("query_range", {"query": '{app="api"}', "start": "yesterday", "end": T0}, "start"),
        ("query_range", {"query": '{app="api"}', "start": T0, "end": T0 + 60, "limit": "-1"}, "limit must be a positive"),
        ("query_range", {"query": '{app="api"}', "direction": "up"}, "invalid direction 'up'"),
        ("query", {"query": '{app="api"}', "time": T0}, "log queries are not supported as an instant query type"),
        ("query", {"query": ""}, "parse error"),
    ],
)
def test_bad_loki_requests_get_lokis_status_and_plain_text(
    served: tuple[str, Path], path: str, params: dict, message: str
) -> None:
    url, _ = served
    response = requests.get(f"{url}/loki/api/v1/{path}", params=params, timeout=30)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert message in response.text


def test_detected_labels_are_not_served_so_grafana_falls_back(served: tuple[str, Path]) -> None:
    url, _ = served
    assert requests.get(f"{url}/loki/api/v1/detected_labels", timeout=30).status_code == 404


# Tempo


@pytest.mark.parametrize("version", ["traces", "v2/traces"])
def test_tempo_trace_by_id_matches_the_command_line(served: tuple[str, Path], version: str) -> None:
    url, store = served
    http = requests.get(f"{url}/api/{version}/{TRACE_A}", timeout=30)
    assert http.status_code == 200, http.text
    batches = run_cli("trace", "--store", str(store), TRACE_A, "--format", "json")["batches"]
    if version == "traces":
        assert http.json() == {"batches": batches}
    else:
        assert http.json() == {"trace": {"resourceSpans": batches}}


def test_tempo_trace_by_id_in_protobuf_decodes_as_otlp(served: tuple[str, Path]) -> None:
    url, _ = served
    accept = {"Accept": "application/protobuf"}
    v1 = requests.get(f"{url}/api/traces/{TRACE_A}", headers=accept, timeout=30)
    assert v1.headers["content-type"] == "application/protobuf"
    data = TracesData.FromString(v1.content)
    spans = [s for rs in data.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert sorted(s.name for s in spans) == ["charge", "checkout"]
    assert all(s.trace_id.hex() == TRACE_A for s in spans)
    v2 = requests.get(f"{url}/api/v2/traces/{TRACE_A}", headers=accept, timeout=30)
    # TraceByIDResponse: field 1 (tag 0x0a) holds the trace, which is a TracesData.
    assert v2.content[0] == 0x0A
    length, offset = 0, 1
    shift = 0
    while True:
        byte = v2.content[offset]
        length |= (byte & 0x7F) << shift
        offset += 1
        shift += 7
        if byte < 0x80:
            break
    assert TracesData.FromString(v2.content[offset : offset + length]) == data


def test_tempo_search_matches_the_command_line(served: tuple[str, Path]) -> None:
    url, store = served
    q = "{ status = error }"
    params = {"q": q, "start": T0, "end": T0 + 60}
    http = requests.get(f"{url}/api/search", params=params, timeout=30)
    assert http.status_code == 200, http.text
    cmd = run_cli("traceql", "--store", str(store), "--start", str(T0), "--end", str(T0 + 60), "--format", "json", q)
    assert http.json() == cmd
    assert [t["traceID"] for t in http.json()["traces"]] == [TRACE_A]

    by_tags = requests.get(f"{url}/api/search", params={"tags": "service.name=frontend", "minDuration": "100ms"}, timeout=30)
    assert [t["traceID"] for t in by_tags.json()["traces"]] == [TRACE_A]
    everything = requests.get(f"{url}/api/search", params={"q": "{}", "limit": 1}, timeout=30)
    assert len(everything.json()["traces"]) == 1


def test_tempo_tags_and_values(served: tuple[str, Path]) -> None:
    url, _ = served
    window = {"start": T0, "end": T0 + 60}
    names = requests.get(f"{url}/api/search/tags", params=window, timeout=30).json()
    assert names == {"tagNames": ["http.route", "service.name"]}
    scoped = requests.get(f"{url}/api/v2/search/tags", params=window, timeout=30).json()
    by_scope = {s["name"]: s["tags"] for s in scoped["scopes"]}
    assert by_scope["resource"] == ["service.name"] and by_scope["span"] == ["http.route"]
    assert "traceDuration" in by_scope["intrinsic"]
    services = requests.get(f"{url}/api/v2/search/tag/resource.service.name/values", params=window, timeout=30).json()
    assert services == {
        "tagValues": [{"type": "string", "value": "frontend"}, {"type": "string", "value": "payment"}]
    }
    status = requests.get(f"{url}/api/v2/search/tag/status/values", params=window, timeout=30).json()
    assert [v["value"] for v in status["tagValues"]] == ["error", "unset"]
    routes = requests.get(f"{url}/api/search/tag/http.route/values", params=window, timeout=30).json()
    assert routes == {"tagValues": ["/browse", "/charge", "/checkout"]}


def test_tempo_metrics_query_range(served: tuple[str, Path]) -> None:
    url, _ = served
    params = {"q": "{} | count_over_time() by (resource.service.name)", "start": T0, "end": T0 + 60, "step": "60s"}
    response = requests.get(f"{url}/api/metrics/query_range", params=params, timeout=30)
    assert response.status_code == 200, response.text
    assert "series" in response.json()


def test_tempo_status_and_bad_requests(served: tuple[str, Path]) -> None:
    url, _ = served
    assert requests.get(f"{url}/api/echo", timeout=30).text == "echo"
    assert requests.get(f"{url}/api/status/buildinfo", timeout=30).json()["version"].startswith("2.")
    missing = requests.get(f"{url}/api/traces/{'0' * 31}1", timeout=30)
    assert missing.status_code == 404
    malformed = requests.get(f"{url}/api/traces/not-hex", timeout=30)
    assert malformed.status_code == 400
    bad_query = requests.get(f"{url}/api/search", params={"q": "{ status = }"}, timeout=30)
    assert bad_query.status_code == 400 and "invalid TraceQL query: parse error at line 1" in bad_query.text
    assert requests.get(f"{url}/api/no/such/path", timeout=30).status_code == 404
