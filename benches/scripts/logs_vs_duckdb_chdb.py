#!/usr/bin/env python3
"""Logs side by side: the same entries in Parquetry's store, in a Parquet file DuckDB
writes and in one chDB (ClickHouse in-process) writes; the bytes on disk and the time to
count the lines that contain a rare and a common substring, each engine in-process.

    python benches/scripts/logs_vs_duckdb_chdb.py STORE WORK_DIR RARE COMMON

STORE is a logs store (benches/scripts/logs-compression.sh makes one); the interpreter
needs the parquetry package (scripts/test-python), duckdb and chdb. Each engine's file
holds every entry's stream id, time and line, written by that engine with zstd at its
default level; each count runs three times and the best time is reported. Every engine
must give the same counts.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from pathlib import Path

import chdb
import duckdb
import parquetry


def best_of(runs: int, f):
    """The smallest wall time of `runs` calls of `f`, and its last answer."""
    best, answer = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        answer = f()
        best = min(best, time.perf_counter() - started)
    return best, answer


def size_of(paths) -> int:
    return sum(os.path.getsize(p) for p in paths)


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def main() -> None:
    store, work, rare, common = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    work.mkdir(parents=True, exist_ok=True)
    db = parquetry.open(store, create=False)

    def parquetry_count(needle: str) -> int:
        table = db.sql(f"SELECT count(*) AS n FROM logs WHERE contains(line, {quote(needle)})").to_arrow()
        return table.column(0)[0].as_py()

    # The same entries (stream, time, line) as each engine writes them, from the store's
    # files, which are plain Parquet.
    ours = glob.glob(str(store / "log_entries" / "*" / "*.parquet"))
    source = "[" + ", ".join(quote(p) for p in ours) + "]"
    duck_file, ch_file = work / "entries-duckdb.parquet", work / "entries-chdb.parquet"
    duck = duckdb.connect()
    duck.execute(
        f"COPY (SELECT stream_id, timestamp, line FROM read_parquet({source})) "
        f"TO '{duck_file}' (FORMAT parquet, COMPRESSION zstd)"
    )
    if ch_file.exists():
        ch_file.unlink()
    chdb.query(
        f"INSERT INTO FUNCTION file('{ch_file}', Parquet) "
        f"SELECT stream_id, timestamp, line FROM file('{store}/log_entries/*/*.parquet', Parquet) "
        "SETTINGS output_format_parquet_compression_method='zstd'"
    )

    raw = duck.execute(f"SELECT sum(strlen(line)) FROM read_parquet('{duck_file}')").fetchone()[0]
    engines = {
        "Parquetry (store)": (size_of(ours), parquetry_count),
        "DuckDB 2.0 (its file)": (
            duck_file.stat().st_size,
            lambda n: duck.execute(f"SELECT count(*) FROM read_parquet('{duck_file}') WHERE contains(line, {quote(n)})").fetchone()[0],
        ),
        f"chDB {chdb.__version__} (its file)": (
            ch_file.stat().st_size,
            lambda n: int(str(chdb.query(f"SELECT count() FROM file('{ch_file}', Parquet) WHERE position(line, {quote(n)}) > 0", "CSV")).strip()),
        ),
    }
    print(f"{raw / 1e6:.1f} MB of raw lines; rare needle {rare!r}, common needle {common!r}")
    print("| engine | bytes on disk | ratio | rare substring | common substring |")
    print("|---|---|---|---|---|")
    counts = {}
    for name, (size, count) in engines.items():
        rare_time, rare_n = best_of(3, lambda: count(rare))
        common_time, common_n = best_of(3, lambda: count(common))
        counts[name] = (rare_n, common_n)
        print(
            f"| {name} | {size / 1e6:.1f} MB | {raw / size:.1f}× | {rare_time * 1e3:.0f} ms ({rare_n}) "
            f"| {common_time * 1e3:.0f} ms ({common_n}) |"
        )
    if len(set(counts.values())) != 1:
        sys.exit(f"the engines disagree: {counts}")


if __name__ == "__main__":
    main()
