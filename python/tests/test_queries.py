"""PromQL, SQL and series listing from Python, with errors as Python exceptions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import parquetry
from conftest import END, START

RATE = "sum by (job) (rate(http_requests_total[5m]))"


def test_range_queries_in_long_and_wide_form(db: parquetry.Database) -> None:
    r = db.promql(RATE, start=START, end=END, step="1m")
    assert r.kind == "matrix"
    assert r.num_series == len({d["job"] for d in r.labels()}) > 1
    # Every minute but the first, when a rate has only one sample to go on.
    assert r.num_points == r.num_series * 120
    long = r.to_pandas()
    assert list(long.columns) == ["timestamp", "value", "job"]
    assert str(long["timestamp"].dtype) == "datetime64[ms, UTC]" or "UTC" in str(long["timestamp"].dtype)
    assert isinstance(long["job"].dtype, pd.CategoricalDtype)
    wide = r.to_pandas(wide=True)
    assert wide.shape == (120, r.num_series)
    assert wide.index.name == "timestamp"
    assert all(name.startswith('{job="') for name in wide.columns)
    assert wide.index[0] == pd.Timestamp(START) + pd.Timedelta("1m")


def test_results_are_arrow_streams_for_pyarrow_and_polars(db: parquetry.Database) -> None:
    r = db.promql(RATE, start=START, end=END, step="1m")
    table = pa.table(r)
    assert table.num_rows == r.num_points
    assert table.schema.field("value").type == pa.float64()
    assert pa.types.is_dictionary(table.schema.field("job").type)
    # Both imports wrap the engine's buffer: nothing was copied on the way.
    again = pa.table(r)
    address = table.column("value").chunk(0).buffers()[1].address
    assert again.column("value").chunk(0).buffers()[1].address == address
    # polars reads an Arrow stream as a DataFrame, or (from_arrow) as a Series of rows.
    frame = pl.DataFrame(r)
    assert frame.columns == ["timestamp", "value", "job"]
    assert frame.height == r.num_points
    rows = pl.from_arrow(r)
    assert isinstance(rows, pl.Series)
    assert rows.struct.unnest().equals(frame)
    assert r.to_polars(wide=True).width == r.num_series + 1


def test_instant_queries_scalars_and_strings(db: parquetry.Database) -> None:
    v = db.promql_instant('up{job="api"}', time=dt.datetime(2026, 1, 5, 1, tzinfo=dt.timezone.utc))
    assert v.kind == "vector"
    assert v.num_points == v.num_series > 0
    assert set(v.to_pandas()["metric"]) == {"up"}
    s = db.promql_instant("1 + 2", time=START)
    assert s.kind == "scalar"
    assert s.to_pandas()["value"].tolist() == [3.0]
    text = db.promql_instant('"hello"', time=START)
    assert text.kind == "string"
    assert text.to_pandas()["value"].tolist() == ["hello"]
    m = db.promql_instant('up{job="api"}[1m]', time="2026-01-05T01:00:00Z")
    assert m.kind == "matrix"
    assert m.num_points == 4 * m.num_series


def test_defaults_cover_the_last_hour_of_data(db: parquetry.Database) -> None:
    r = db.promql("count(up)")
    times = r.to_pandas()["timestamp"]
    assert times.iloc[-1] == db.stats["end"]
    assert times.iloc[-1] - times.iloc[0] == pd.Timedelta("1h")


def test_query_errors_name_the_position(db: parquetry.Database) -> None:
    with pytest.raises(parquetry.QueryError) as caught:
        db.promql("sum(rate(x[5m])", start=START, end=END, step="1m")
    err = caught.value
    assert (err.line, err.column) == (1, 16)
    assert "1:16" in str(err)
    with pytest.raises(parquetry.QueryError, match="many-to-many|duplicate|matching"):
        db.promql_instant("http_requests_total + on(job) http_requests_total", time=START)
    with pytest.raises(parquetry.QueryError, match="no_such_table"):
        db.sql("SELECT * FROM no_such_table")
    with pytest.raises(ValueError, match="step must be positive"):
        db.promql("up", start=START, end=END, step=0)


def test_sql_joins_promql_results_with_a_user_file(db: parquetry.Database, tmp_path: Path) -> None:
    owners = tmp_path / "owners.csv"
    owners.write_text("job,team\napi,payments\ncheckout,storefront\n")
    t = db.sql(
        f"""SELECT o.team, avg(p.value) AS rps
            FROM promql_range('{RATE}', '{START}', '{END}', '1m') p
            JOIN owners o ON p.job = o.job GROUP BY o.team ORDER BY o.team""",
        tables={"owners": owners},
    )
    frame = t.to_pandas()
    assert frame["team"].tolist() == ["payments", "storefront"]
    assert (frame["rps"] > 0).all()
    counts = db.sql("SELECT metric, count(*) AS n FROM series GROUP BY metric ORDER BY n DESC").to_polars()
    assert counts["n"].sum() == db.stats["series"]


def test_series_listing_and_store_stats(db: parquetry.Database) -> None:
    t = db.series('up{job="api"}')
    frame = t.to_pandas()
    assert set(frame["metric"]) == {"up"}
    assert {"instance", "job", "min_time", "max_time"} <= set(frame.columns)
    stats = db.stats
    assert stats["series"] >= len(db.series().to_pandas()) > 0
    assert stats["start"] == pd.Timestamp(START)


def test_notebook_display_is_compact_html(db: parquetry.Database) -> None:
    r = db.promql(RATE, start=START, end=END, step="1m")
    page = r._repr_html_()
    assert page.count("<tr>") == 11  # a header and ten rows
    assert f"of {r.num_points:,} rows shown" in page
    assert "series" in db._repr_html_()
    assert "rows" in repr(db.sql("SELECT 1 AS one"))


def test_plot_draws_a_line_per_series(db: parquetry.Database) -> None:
    r = db.promql(RATE, start=START, end=END, step="1m")
    ax = r.plot()
    assert len(ax.get_lines()) == r.num_series
    assert ax.get_title() == RATE
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(f'{{job="{d["job"]}"}}' for d in r.labels())
