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
