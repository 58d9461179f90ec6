"""Logs from Python: ingest of push bodies and plain files, SQL over the logs table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import parquetry

T0 = 1_767_323_045_000_000_000  # 2026-01-02T03:04:05Z


def test_push_bodies_are_detected_and_queried_with_sql(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    body = {
        "streams": [
            {
                "stream": {"app": "api", "env": "prod"},
                "values": [[str(T0 + i), f"GET /items/{i} status=200", {"trace_id": f"{i:032x}"}] for i in range(100)],
            },
            {"stream": {"app": "worker"}, "values": [[str(T0), "GC pause 12ms"]]},
        ]
    }
    push = tmp_path / "push.json"
    push.write_text(json.dumps(body) + "\n")
    report = db.ingest(push)
    assert isinstance(report, parquetry.LogIngestReport)
    assert (report.files, report.streams, report.entries) == (1, 2, 101)
    assert "101 log entries" in str(report)

    rows = db.sql("SELECT count(*) AS n FROM logs WHERE labels['app'] = 'api' AND contains(line, 'items/42 ')")
    assert rows.to_arrow().to_pylist() == [{"n": 1}]
    trace = db.sql(f"SELECT line, structured_metadata['trace_id'] AS t FROM logs WHERE trace_id = '{7:032x}'")
    assert trace.to_arrow().to_pylist() == [{"line": "GET /items/7 status=200", "t": f"{7:032x}"}]
    stats = db.stats
    assert (stats["log_streams"], stats["log_entries"], stats["log_files"]) == (2, 101, 1)
    assert stats["log_bytes"] > 0 and stats["series"] == 0
    assert stats["log_start"].isoformat() == "2026-01-02T03:04:05+00:00"
    assert "2 log streams" in repr(db)


def test_plain_files_need_labels_and_name_bad_lines(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    app = tmp_path / "app.log"
    app.write_text(
        json.dumps({"level": "info", "time": 1767323045000, "msg": "started"})
        + "\n"
        + json.dumps({"level": "error", "msg": "no time here"})
        + "\n"
    )
    with pytest.raises(parquetry.IngestError) as caught:
        db.ingest(app, labels={"service": "api"})
    assert (Path(caught.value.file).name, caught.value.line) == ("app.log", 2)
    report = db.ingest(app, labels={"service": "api"}, skip_invalid=True, detect_level=True)
    assert (report.entries, report.skipped_lines) == (1, 1)
    rows = db.sql("SELECT severity, structured_metadata['detected_level'] AS level FROM logs").to_arrow().to_pylist()
    assert rows == [{"severity": "info", "level": "info"}]
    with pytest.raises(ValueError):
        db.ingest(app, signal="metrics", labels={"service": "api"})


def test_multiline_text_keeps_stack_traces_with_their_entry(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    log = tmp_path / "app.log"
    log.write_text("2026-01-05T00:00:01Z ERROR boom\n  at Pay.run(Pay.java:42)\n2026-01-05T00:00:02Z INFO ok\n")
    with pytest.raises(parquetry.IngestError):
        db.ingest(log, labels={"app": "pay"})
    report = db.ingest(log, labels={"app": "pay"}, multiline=True)
    assert report.entries == 2
    lines = db.sql("SELECT line FROM logs ORDER BY timestamp").to_arrow().column(0).to_pylist()
    assert lines == ["2026-01-05T00:00:01Z ERROR boom\n  at Pay.run(Pay.java:42)", "2026-01-05T00:00:02Z INFO ok"]


def test_compact_and_retain_cover_logs_and_metrics(tmp_path: Path) -> None:
    db = parquetry.open(tmp_path / "store")
    for day in (5, 6):
        log = tmp_path / f"app-{day}.log"
        log.write_text(f"2026-01-0{day}T00:00:01Z one\n2026-01-0{day}T00:00:02Z two\n")
        db.ingest(log, labels={"app": "pay"})
        db.ingest(log, labels={"app": "pay"})  # the same lines again: one copy is kept
    assert db.stats["log_files"] == 4
    report = db.compact(grace=0)
    assert (report["files_before"], report["files_after"], report["days_rewritten"]) == (4, 2, 2)
    assert db.stats["log_entries"] == 4
    report = db.retain(before="2026-01-06T00:00:00Z", grace="0s")
    assert report["days_dropped"] == 1
    lines = db.sql("SELECT line FROM logs ORDER BY timestamp").to_arrow().column(0).to_pylist()
    assert lines == ["2026-01-06T00:00:01Z one", "2026-01-06T00:00:02Z two"]
    with pytest.raises(ValueError):
        db.retain()
