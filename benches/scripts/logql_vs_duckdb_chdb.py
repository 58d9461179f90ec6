#!/usr/bin/env python3
"""LogQL throughput, and LogQL side by side with DuckDB and chDB on the same entries.

    python benches/scripts/logql_vs_duckdb_chdb.py STORE WORK_DIR NEEDLE

STORE is the log fleet's store (benches/scripts/logs-compression.sh makes one, its
`app.jsonl` under the labels app=shop, component=api); the interpreter needs the parquetry
package (scripts/test-python), duckdb and chdb. Two questions, each asked three times
(best time reported), of the api stream:

* a line filter over all time: the lines that contain NEEDLE;
* errors per service per 5 minutes over the first full hour: pino's level 50.

Parquetry answers with LogQL through its Python package, in-process; its throughput is
the raw bytes of the lines the question covers divided by the CPU time (user + system)
the query took. DuckDB and chDB each read a Parquet file they wrote themselves of the
same entries (stream id, time, line; zstd) and answer with SQL. Every engine must give
the same answers.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import chdb
import duckdb
import parquetry

FIVE_MINUTES_NS = 300 * 10**9
HOUR_NS = 3600 * 10**9


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def best_of(runs: int, f):
    """The best (wall, CPU) seconds of `runs` calls of `f`, and its last answer."""
    wall, cpu, answer = float("inf"), float("inf"), None
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), cpu_seconds()
        answer = f()
        wall = min(wall, time.perf_counter() - began)
        cpu = min(cpu, cpu_seconds() - began_cpu)
    return wall, cpu, answer


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def logql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    store, work, needle = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    work.mkdir(parents=True, exist_ok=True)
    db = parquetry.open(store, create=False)
    facts = db.sql(
        "SELECT min(stream_id) AS id, min(timestamp) AS first, max(timestamp) AS last, "
        "sum(length(line)) AS raw FROM logs WHERE labels['component'] = 'api'"
    ).to_arrow().to_pylist()[0]
    stream_id, raw_all = facts["id"], facts["raw"]
    first_ns = int(facts["first"].timestamp()) * 10**9
    last_ns = int(facts["last"].timestamp()) * 10**9 + 10**9
    hour_start = (first_ns // HOUR_NS + 1) * HOUR_NS
    hour_end = hour_start + HOUR_NS
    raw_hour = db.sql(
        "SELECT sum(length(line)) AS raw FROM logs WHERE labels['component'] = 'api' "
        f"AND timestamp > to_timestamp_nanos({hour_start - FIVE_MINUTES_NS}) "
        f"AND timestamp <= to_timestamp_nanos({hour_end})"
    ).to_arrow().column(0)[0].as_py()

    # The entries of the api stream as each engine writes them, from the store's files.
    source = f"{store}/log_entries/*/*.parquet"
    duck_file, ch_file = work / "api-duckdb.parquet", work / "api-chdb.parquet"
    duck = duckdb.connect()
    duck.execute(
        f"COPY (SELECT stream_id, timestamp, line FROM read_parquet('{source}') WHERE stream_id = {stream_id}) "
        f"TO '{duck_file}' (FORMAT parquet, COMPRESSION zstd)"
    )
    if ch_file.exists():
        ch_file.unlink()
    chdb.query(
        f"INSERT INTO FUNCTION file('{ch_file}', Parquet) "
        f"SELECT stream_id, timestamp, line FROM file('{source}', Parquet) WHERE stream_id = {stream_id} "
        "SETTINGS output_format_parquet_compression_method='zstd'"
    )

    span_s = (last_ns - first_ns) // 10**9 + 1
    filter_query = f'sum(count_over_time({{component="api"}} |= {logql_string(needle)} [{span_s}s]))'
    errors_query = 'sum by (service) (count_over_time({component="api"} | json | level="50" [5m]))'

    def ours_filter() -> int:
        r = db.logql_instant(filter_query, time=last_ns / 1e9)
        values = r.to_arrow().column("value").to_pylist()
        return int(values[0]) if values else 0

    def ours_lines() -> int:
        lines = db.logql(
            f'{{component="api"}} |= {logql_string(needle)}', start=first_ns / 1e9, end=last_ns / 1e9, limit=5000
        )
        return len(lines)

    def ours_errors() -> set:
        r = db.logql(errors_query, start=(hour_start + FIVE_MINUTES_NS) / 1e9, end=hour_end / 1e9, step="5m")
        rows = r.to_arrow().to_pylist()
        return {(row["timestamp"].timestamp(), row["service"], int(row["value"])) for row in rows}

    bucket_filter = f"epoch_ns(timestamp) > {hour_start} AND epoch_ns(timestamp) <= {hour_end}"

    def duck_filter() -> int:
        return duck.execute(f"SELECT count(*) FROM read_parquet('{duck_file}') WHERE contains(line, {quote(needle)})").fetchone()[0]

    def duck_errors() -> set:
        rows = duck.execute(
            f"SELECT ceil(epoch_ns(timestamp) / {FIVE_MINUTES_NS}) * 300 AS t, "
            "json_extract_string(line, '$.service') AS service, count(*) "
            f"FROM read_parquet('{duck_file}') WHERE {bucket_filter} "
            "AND json_extract_string(line, '$.level') = '50' GROUP BY ALL"
        ).fetchall()
        return {(float(t), s, n) for t, s, n in rows}

    ch_window = (
        f"toUnixTimestamp64Nano(timestamp) > {hour_start} AND toUnixTimestamp64Nano(timestamp) <= {hour_end}"
    )

    def ch_filter() -> int:
        out = chdb.query(f"SELECT count() FROM file('{ch_file}', Parquet) WHERE position(line, {quote(needle)}) > 0", "CSV")
        return int(str(out).strip())

    def ch_errors() -> set:
        out = chdb.query(
            f"SELECT ceil(toUnixTimestamp64Nano(timestamp) / {FIVE_MINUTES_NS}) * 300 AS t, "
            "JSONExtractString(line, 'service') AS service, count() "
            f"FROM file('{ch_file}', Parquet) WHERE {ch_window} AND JSONExtractRaw(line, 'level') = '50' "
            "GROUP BY t, service",
            "TSV",
        )
        rows = [line.split("\t") for line in str(out).strip().splitlines()]
        return {(float(t), s, int(n)) for t, s, n in rows}

    print(f"api stream: {raw_all / 1e6:.1f} MB of raw lines over {span_s} s; the hour: {raw_hour / 1e6:.1f} MB")
    wall, cpu, n = best_of(3, ours_lines)
    print(
        f"LogQL log query {{component=\"api\"}} |= {needle!r} over all time: {n} lines, "
        f"{wall * 1e3:.0f} ms wall, {cpu * 1e3:.0f} ms CPU, {raw_all / cpu / 1e9:.2f} GB/s per core"
    )
    wall, cpu, _ = best_of(3, ours_errors)
    print(
        f"LogQL {errors_query} over the hour: {wall * 1e3:.0f} ms wall, {cpu * 1e3:.0f} ms CPU, "
        f"{raw_hour / cpu / 1e6:.0f} MB/s per core"
    )
    engines = {
        "Parquetry (LogQL, its store)": (ours_filter, ours_errors),
        f"DuckDB {duckdb.__version__} (SQL, its file)": (duck_filter, duck_errors),
        f"chDB {chdb.__version__} (SQL, its file)": (ch_filter, ch_errors),
    }
    print("| engine | line filter count | errors per service per 5 min |")
    print("|---|---|---|")
    answers = {}
    for name, (count, errors) in engines.items():
        count_wall, _, count_n = best_of(3, count)
        errors_wall, _, error_rows = best_of(3, errors)
        answers[name] = (count_n, frozenset(error_rows))
        print(
            f"| {name} | {count_wall * 1e3:.0f} ms ({count_n}) "
            f"| {errors_wall * 1e3:.0f} ms ({len(error_rows)} points, {sum(r[2] for r in error_rows)} errors) |"
        )
    if len(set(answers.values())) != 1:
        sys.exit(f"the engines disagree: { {k: (v[0], sorted(v[1])[:5]) for k, v in answers.items()} }")


if __name__ == "__main__":
    main()
