"""A million-point result reaches pyarrow and pandas without a Python loop over points."""

from __future__ import annotations

import math
import sys
from typing import Any, Callable

import pyarrow as pa

import parquetry
from conftest import END, START

POINTS = 1_000_000


def python_calls(work: Callable[[], Any]) -> tuple[Any, int]:
    """Runs ``work`` and counts the Python-level function calls it made."""
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        value = work()
    finally:
        sys.setprofile(None)
    return value, calls


def million_points(db: parquetry.Database) -> parquetry.QueryResult:
    series = db.promql_instant("count(rate(http_requests_total[5m]))", time=END).to_pandas()["value"][0]
    # A few early steps have no rate yet (a window needs two samples): aim a little high.
    steps = math.ceil(POINTS * 1.02 / series)
    step_ms = math.floor(2 * 3_600_000 / (steps - 1))
    r = db.promql("rate(http_requests_total[5m])", start=START, end=END, step=step_ms / 1000)
    assert r.num_points >= POINTS
    return r


def test_a_million_points_convert_without_a_python_loop(db: parquetry.Database) -> None:
    r = million_points(db)
    conversions = {
        "pyarrow": r.to_arrow,
        "pandas": r.to_pandas,
        "pandas wide": lambda: r.to_pandas(wide=True),
        "polars": r.to_polars,
    }
    for name, convert in conversions.items():
        convert()  # the first call imports the library's lazily loaded modules
        frame, calls = python_calls(convert)
        assert len(frame) >= (r.num_points if name != "pandas wide" else 1), name
        # A loop over points would make at least a million calls; whole-column conversion
        # makes about a thousand at most, whatever the size.
        assert calls < 5_000, (name, calls)
    # The value column crossed without a copy.
    address = r.to_arrow().column("value").chunk(0).buffers()[1].address
    assert pa.table(r).column("value").chunk(0).buffers()[1].address == address
