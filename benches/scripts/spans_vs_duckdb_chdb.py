#!/usr/bin/env python3
"""Spans side by side: Parquetry's spans store against DuckDB and chDB (ClickHouse
in-process) over one Parquet file of the same spans, which DuckDB writes from the store's
files with zstd.

    python benches/scripts/spans_vs_duckdb_chdb.py PARQUETRY_BIN STORE WORK_DIR

Prints the bytes per span of the store, the time of `parquetry trace` (a fresh process
per lookup, the store opened cold by it; the files in the page cache) for ten trace ids
against the same lookup in the other engines, and two TraceQL searches as whole
`parquetry traceql` processes against the equivalent SQL: the 20 newest traces with a
matching span, with their start and matching span count. Every engine must give the
same answers. Times are the best of three runs; CPU time (user + system) gives spans per
second per core.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import chdb
import duckdb

SEARCHES = [
    (
        '{ resource.service.name = "payment" && status = error }',
        "service_name = 'payment' AND status_code = 2",
    ),
    (
        '{ span.db.system = "postgresql" && duration > 500ms }',
        "db_system = 'postgresql' AND duration_ns > 500000000",
    ),
]
RUNS = 3


def cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_process(args: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one process, and its output."""
    cpu, began = cpu_of_children(), time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - began, cpu_of_children() - cpu, out


def run_inline(f) -> tuple[float, float, object]:
    """Wall and CPU seconds (every thread of this process) of one call, and its answer."""
    cpu, began = time.process_time(), time.perf_counter()
    answer = f()
    return time.perf_counter() - began, time.process_time() - cpu, answer


def best(runs: int, once) -> tuple[float, float, object]:
    """The run with the smallest wall time of `runs`."""
    return min((once() for _ in range(runs)), key=lambda r: r[0])


def live_span_files(store: Path) -> list[str]:
    """The spans files of the store's newest version, replayed from its commit log (files
    a compaction replaced stay on disk until a vacuum)."""
    live: dict[str, list[str]] = {}
    for entry in sorted((store / "_log").glob("v*.json")):
        if entry.name.endswith(".checkpoint.json"):
            continue
        commit = json.loads(entry.read_text())
        for segment in commit.get("add", []):
            if segment.get("table") == "spans":
                live[segment["id"]] = [str(store / f["path"]) for f in segment["data_files"]]
        for gone in commit.get("remove", []):
            live.pop(gone, None)
    return sorted(p for paths in live.values() for p in paths)


def main() -> None:
    binary, store, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    ours = live_span_files(store)
    listed = "[" + ", ".join(f"'{p}'" for p in ours) + "]"
    flat = work / "spans-duckdb.parquet"
    duck = duckdb.connect()
    duck.execute(f"COPY (SELECT * FROM read_parquet({listed})) TO '{flat}' (FORMAT parquet, COMPRESSION zstd)")
    spans = duck.execute(f"SELECT count(*) FROM read_parquet('{flat}')").fetchone()[0]
    stored = sum(os.path.getsize(p) for p in ours)
    print(f"\n{spans:,} spans in {len(ours)} store file(s): {stored / 1e6:.1f} MB, {stored / spans:.1f} B/span")
    print(f"DuckDB's file of the same spans: {flat.stat().st_size / 1e6:.1f} MB, {flat.stat().st_size / spans:.1f} B/span")

    ids = [
        r[0]
        for r in duck.execute(
            f"SELECT DISTINCT lower(hex(trace_id)) AS id, hash(trace_id) AS h FROM read_parquet('{flat}') ORDER BY h LIMIT 10"
        ).fetchall()
    ]
    lookups = {"parquetry trace (process)": [], "DuckDB": [], f"chDB {chdb.__version__}": []}
    for trace in ids:
        wall, _, out = best(RUNS, lambda: run_process([binary, "trace", "--store", str(store), "--format", "json", trace]))
        ours_count = sum(len(s["spans"]) for b in json.loads(out)["batches"] for s in b["scopeSpans"])
        lookups["parquetry trace (process)"].append(wall)
        wall, _, n = best(RUNS, lambda: run_inline(lambda: duck.execute(
            f"SELECT * FROM read_parquet('{flat}') WHERE trace_id = from_hex('{trace}')").fetchall()))
        lookups["DuckDB"].append(wall)
        assert len(n) == ours_count, (trace, len(n), ours_count)
        wall, _, n = best(RUNS, lambda: run_inline(lambda: chdb.query(
            f"SELECT count() FROM file('{flat}', Parquet) WHERE lower(hex(trace_id)) = '{trace}'", "CSV").bytes()))
        lookups[f"chDB {chdb.__version__}"].append(wall)
        assert int(n) == ours_count, (trace, n, ours_count)
    print("\n| trace by id (10 ids, median of each id's best of 3) | ms |\n|---|---|")
    for engine, walls in lookups.items():
        print(f"| {engine} | {statistics.median(walls) * 1000:.1f} |")

    print("\n| search | engine | wall | CPU | spans/s per core | traces |\n|---|---|---|---|---|---|")
    for traceql, condition in SEARCHES:
        wall, cpu, out = best(RUNS, lambda: run_process(
            [binary, "traceql", "--store", str(store), "--limit", "20", "--format", "json", traceql]))
        found = [
            (t["traceID"].zfill(32), int(t["startTimeUnixNano"]), sum(s["matched"] for s in t["spanSets"]))
            for t in json.loads(out)["traces"]
        ]
        rows = [("Parquetry (process)", wall, cpu, found)]
        duck_sql = (
            f"WITH hit AS (SELECT trace_id, count(*) AS matched FROM read_parquet('{flat}') WHERE {condition} GROUP BY trace_id) "
            f"SELECT lower(hex(s.trace_id)) AS id, min(epoch_ns(s.start_time)) AS start, any_value(h.matched) "
            f"FROM read_parquet('{flat}') s JOIN hit h USING (trace_id) GROUP BY s.trace_id ORDER BY start DESC, id LIMIT 20"
        )
        wall, cpu, answer = best(RUNS, lambda: run_inline(lambda: duck.execute(duck_sql).fetchall()))
        rows.append(("DuckDB", wall, cpu, [(a, int(b), int(c)) for a, b, c in answer]))
        ch_sql = (
            f"WITH hit AS (SELECT trace_id, count() AS matched FROM file('{flat}', Parquet) WHERE {condition} GROUP BY trace_id) "
            f"SELECT lower(hex(s.trace_id)) AS id, min(toUnixTimestamp64Nano(s.start_time)) AS start, any(h.matched) "
            f"FROM file('{flat}', Parquet) AS s INNER JOIN hit AS h ON s.trace_id = h.trace_id "
            f"GROUP BY s.trace_id ORDER BY start DESC, id LIMIT 20"
        )
        wall, cpu, answer = best(RUNS, lambda: run_inline(lambda: chdb.query(ch_sql, "JSONCompact").bytes()))
        rows.append((f"chDB {chdb.__version__}", wall, cpu, [(a, int(b), int(c)) for a, b, c in json.loads(answer)["data"]]))
        for engine, wall, cpu, answer in rows:
            assert answer == rows[0][3], (traceql, engine, answer[:3], rows[0][3][:3])
            print(
                f"| `{traceql}` | {engine} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms | "
                f"{spans / max(cpu, 1e-9) / 1e6:.1f} M | {len(answer)} |"
            )


if __name__ == "__main__":
    main()
