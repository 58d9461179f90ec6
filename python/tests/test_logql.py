"""LogQL from Python: log queries as lines, metric queries as the tables PromQL gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import parquetry

T0 = 1_767_323_040_000_000_000  # 2026-01-02T03:04:00Z
SECOND = 1_000_000_000


@pytest.fixture()
def db(tmp_path: Path) -> parquetry.Database:
    db = parquetry.open(tmp_path / "store")

    def values(app: str) -> list[list[str]]:
        out = []
        for i in range(120):
            level = "error" if i % 4 == 0 else "info"
            out.append([str(T0 + i * SECOND), f"level={level} app={app} took={i}ms"])
        return out

    body = {"streams": [{"stream": {"app": app}, "values": values(app)} for app in ("api", "worker")]}
    push = tmp_path / "push.json"
    push.write_text(json.dumps(body))
    db.ingest(push)
    return db


def test_log_queries_return_the_newest_lines_with_parsed_labels(db: parquetry.Database) -> None:
    lines = db.logql('{app="api"} | logfmt | level="error"', start="2026-01-02T03:04:00Z", end="2026-01-02T03:06:00Z")
    assert isinstance(lines, parquetry.LogLines)
    assert len(lines) == 30
    table = lines.to_arrow()
    assert {"timestamp", "line", "labels", "app", "level", "took"} <= set(table.column_names)
    assert lines.lines()[0] == "level=error app=api took=116ms"
    assert str(table.schema.field("timestamp").type) == "timestamp[ns, tz=UTC]"
    frame = lines.to_pandas()
    assert frame["level"].unique().tolist() == ["error"]
    forward = db.logql(
        '{app=~".+"}', start="2026-01-02T03:04:00Z", end="2026-01-02T03:06:00Z", limit=3, direction="forward"
    )
    assert sorted(forward.lines()) == sorted(
        ["level=error app=api took=0ms", "level=error app=worker took=0ms", "level=info app=api took=1ms"]
    )
    html = lines._repr_html_()
    assert "took=116ms" in html and "30 lines" in html


def test_metric_queries_give_long_and_wide_tables(db: parquetry.Database) -> None:
    result = db.logql(
        'sum by (app) (count_over_time({app=~".+"} | logfmt | level="error" [1m]))',
        start="2026-01-02T03:05:00Z",
        end="2026-01-02T03:06:00Z",
        step="30s",
    )
    assert isinstance(result, parquetry.QueryResult)
    assert (result.kind, result.num_series, result.num_points) == ("matrix", 2, 6)
    long = result.to_pandas()
    # Errors every 4 s; the last window ends after the last line.
    assert long[long["app"] == "api"]["value"].tolist() == [15.0, 15.0, 14.0]
    wide = result.to_pandas(wide=True)
    assert list(wide.columns) == ['{app="api"}', '{app="worker"}']
    instant = db.logql_instant('sum(rate({app="api"}[1m]))', time="2026-01-02T03:05:00Z")
    assert (instant.kind, instant.to_arrow().column("value").to_pylist()) == ("vector", [1.0])


def test_bad_queries_raise_positioned_errors(db: parquetry.Database) -> None:
    with pytest.raises(parquetry.QueryError) as caught:
        db.logql('sum(rate({app="api"}))')
    assert caught.value.line == 1 and caught.value.column > 1
    with pytest.raises(parquetry.QueryError):
        db.logql('{app="api"} |~ "("')
    with pytest.raises(ValueError):
        db.logql('{app="api"}', direction="sideways")
