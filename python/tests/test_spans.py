"""Spans from Python: ingest of OTLP/JSON traces, errors, and what the store holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import parquetry

T0 = 1_767_323_045_000_000_000  # 2026-01-02T03:04:05Z


def traces_data(trace: int, span: int, parent: int | None, service: str) -> dict:
    record = {
        "traceId": f"{trace:032x}",
        "spanId": f"{span:016x}",
        "name": f"op {span}",
        "kind": "SPAN_KIND_SERVER",
        "startTimeUnixNano": str(T0 + span),
        "endTimeUnixNano": str(T0 + span + 1_000_000),
    }
    if parent is not None:
        record["parentSpanId"] = f"{parent:016x}"
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [record]}]}]}


def test_otlp_traces_are_detected_and_counted(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    path = tmp_path / "traces.jsonl"
    lines = [traces_data(1, 1, None, "front"), traces_data(1, 2, 1, "cart"), traces_data(2, 3, None, "front")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = db.ingest(path)
    assert isinstance(report, parquetry.SpanIngestReport)
    assert (report.files, report.spans, report.traces) == (1, 3, 2)
    assert "3 spans of 2 trace(s)" in str(report)
    stats = db.stats
    assert (stats["spans"], stats["span_files"]) == (3, 1)
    assert stats["span_start"].isoformat() == "2026-01-02T03:04:05+00:00"


def test_a_bad_trace_id_names_file_and_line(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    path = tmp_path / "bad.jsonl"
    good = json.dumps(traces_data(1, 1, None, "front"))
    path.write_text(good + "\n" + good.replace(f"{1:032x}", "abc") + "\n")
    with pytest.raises(parquetry.IngestError, match=r"bad.jsonl:2:1: trace id \"abc\" is not 32 hex digits"):
        db.ingest(path, signal="spans")
    assert db.stats["spans"] == 0
    report = db.ingest(path, skip_invalid=True)
    assert (report.spans, report.skipped_lines) == (1, 1)


def shop(tmp_path: Path) -> parquetry.Database:
    """A checkout trace (frontend → payment, whose call fails) and a health check, with a
    log line of the payment span."""
    db = parquetry.open(tmp_path / "store")
    spans = [
        (1, 1, None, "frontend", "GET /checkout", 0, 900, 0),
        (1, 2, 1, "payment", "Payment/Charge", 100, 700, 2),
        (2, 3, None, "frontend", "GET /health", 60_000, 1, 0),
    ]
    lines = []
    for trace, span, parent, service, name, start_ms, duration_ms, status in spans:
        data = traces_data(trace, span, parent, service)
        record = data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        record["name"] = name
        record["startTimeUnixNano"] = str(T0 + start_ms * 1_000_000)
        record["endTimeUnixNano"] = str(T0 + (start_ms + duration_ms) * 1_000_000)
        record["status"] = {"code": status, "message": "card declined" if status else ""}
        lines.append(json.dumps(data))
    (tmp_path / "traces.jsonl").write_text("\n".join(lines) + "\n")
    db.ingest(tmp_path / "traces.jsonl")
    log = {
        "resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "payment"}}]},
            "scopeLogs": [{"logRecords": [{
                "timeUnixNano": str(T0 + 500_000_000),
                "body": {"stringValue": "card declined by issuer"},
                "traceId": f"{1:032x}",
                "spanId": f"{2:016x}",
            }]}],
        }]
    }
    (tmp_path / "logs.jsonl").write_text(json.dumps(log) + "\n")
    db.ingest(tmp_path / "logs.jsonl")
    return db


def test_a_trace_is_a_table_with_a_waterfall_and_its_logs(tmp_path: Path) -> None:
    db = shop(tmp_path)
    trace = db.trace(f"{1:032X}")
    assert isinstance(trace, parquetry.Trace)
    assert len(trace) == 2
    frame = trace.to_pandas()
    assert list(frame["name"]) == ["GET /checkout", "Payment/Charge"]
    assert list(frame["status_code"]) == ["unset", "error"]
    assert frame["parent_span_id"][1] == f"{1:016x}"
    assert [depth for depth, _ in trace.waterfall()] == [0, 1]
    page = trace._repr_html_()
    assert "2 spans, 2 services, 900.00ms" in page and "✗ card declined" in page
    assert trace.logs().lines() == ["card declined by issuer"]
    with pytest.raises(KeyError, match="is not in the store"):
        db.trace(f"{9:032x}")
    with pytest.raises(ValueError, match="not 32 hex digits"):
        db.trace("xyz")


def test_traceql_searches_and_metrics(tmp_path: Path) -> None:
    db = shop(tmp_path)
    found = db.traceql('{ resource.service.name = "payment" && status = error }')
    assert isinstance(found, parquetry.TraceSearch)
    assert found.trace_ids == [f"{1:032x}"]
    assert found.traces[0]["rootTraceName"] == "GET /checkout"
    assert found.traces[0]["spanSets"][0]["spans"][0]["name"] == "Payment/Charge"
    assert list(db.traceql("{ kind = server }").to_pandas()["root_name"]) == ["GET /health", "GET /checkout"]
    assert len(db.traceql("{ kind = server }", limit=1)) == 1
    assert len(db.traceql("{}", start=T0 // 10**9 + 30)) == 1
    assert len(db.traceql('{ name = "GET /checkout" } > { status = error }')) == 1
    series = db.traceql("{} | count_over_time() by (resource.service.name)", step="1m")
    assert isinstance(series, parquetry.QueryResult)
    assert series.labels() == [{"resource.service.name": "frontend"}, {"resource.service.name": "payment"}]
    assert series.num_points == 3
    with pytest.raises(parquetry.QueryError, match="1:12"):
        db.traceql("{ status = }")
    with pytest.raises(parquetry.QueryError, match="invalid regular expression"):
        db.traceql('{ name =~ "(" }')
