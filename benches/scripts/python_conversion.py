"""Times the hand-over of a million-point PromQL result from the engine to pyarrow, pandas
and polars (median of several runs), on the demo fleet.

Run it with the Python environment scripts/test-python builds:
    ~/.cache/parquetry-venv/bin/python benches/scripts/python_conversion.py [--runs 7]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import pyarrow as pa

import parquetry
from timing import median_ms

START, END = "2026-01-05T00:00:00Z", "2026-01-05T02:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "fleet.om"
        parquetry.generate_demo(data, series=400, start=START, duration="2h", interval="15s")
        db = parquetry.open(Path(tmp) / "store")
        db.ingest(data)
        series = db.promql_instant("count(rate(http_requests_total[5m]))", time=END).to_pandas()["value"][0]
        step_s = math.floor(2 * 3_600_000 / (math.ceil(args.points * 1.02 / series) - 1)) / 1000
        query = lambda: db.promql("rate(http_requests_total[5m])", start=START, end=END, step=step_s)  # noqa: E731
        r = query()
        rows = [
            ("PromQL query, result in long Arrow form", lambda: query()),
            ("long Arrow table built in Rust", lambda: r._result.long()),
            ("wide Arrow table built in Rust", lambda: r._result.wide()),
            ("pyarrow.table(result)", lambda: pa.table(r)),
            ("result.to_pandas()", r.to_pandas),
            ("result.to_pandas(wide=True), wide table already built", lambda: r.to_pandas(wide=True)),
            ("result.to_polars()", r.to_polars),
        ]
        print(f"{r.num_points:,} points in {r.num_series} series; median of {args.runs} runs")
        print("| step | median ms |")
        print("|---|---:|")
        for name, work in rows:
            print(f"| {name} | {median_ms(work, args.runs):.1f} |")


if __name__ == "__main__":
    main()
