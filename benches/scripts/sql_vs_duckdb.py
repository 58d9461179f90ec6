"""SQL on Parquetry and on DuckDB over the same data, compared row by row.

The store's samples are exported with `parquetry export --format jsonl` (not through the SQL
layer under test), loaded into DuckDB and written to Parquet; DuckDB then answers every
query of benches/sql/queries.json from that Parquet file, and Parquetry from its own store
through `parquetry sql`. For the query over `promql_range`, DuckDB gets the PromQL result
from `parquetry query --format json` as a table instead. Rows must agree: same values,
floats within a relative 1e-9, NaN equal to NaN.

With --bench RUNS, also times every query (median of RUNS) on both engines, Parquetry
through its Rust API (the `sql-latency` binary) and DuckDB in-process, and prints a table
of medians and ratios.

Usage: sql_vs_duckdb.py BIN_DIR STORE WORK_DIR [--bench RUNS]
"""

import datetime as dt
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import duckdb
from timing import median_ms

HERE = Path(__file__).resolve().parent.parent / "sql"


def parquetry_rows(bin_dir, store, sql, owners):
    out = subprocess.run(
        [f"{bin_dir}/parquetry", "sql", "--store", store, "--table", f"owners={owners}", "--format", "json", sql],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = json.loads(out) if out.strip() else []
    return [tuple(r.values()) for r in rows]


def normalize(v):
    """A comparable form: timestamps as epoch ms, numbers as floats."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return round(v.timestamp() * 1000)
    if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == "T":
        return round(dt.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def diff(want, got):
    if len(want) != len(got):
        return f"{len(want)} rows from DuckDB, {len(got)} from Parquetry"
    for i, (w, g) in enumerate(zip(want, got)):
        w, g = [normalize(x) for x in w], [normalize(x) for x in g]
        if len(w) != len(g) or not all(same(x, y) for x, y in zip(w, g)):
            return f"row {i}: DuckDB {w}, Parquetry {g}"
    return None


def load_duckdb(work, bin_dir, store, owners, queries):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    export = Path(work) / "samples.jsonl"
    with open(export, "w") as f:
        subprocess.run([f"{bin_dir}/parquetry", "export", "--store", store, "--format", "jsonl"], check=True, stdout=f,
                       stderr=subprocess.DEVNULL)
    parquet = Path(work) / "samples.parquet"
    con.execute(f"""
        COPY (
          SELECT CAST(to_timestamp(timestamp_ms / 1000.0) AS TIMESTAMP) AS timestamp,
                 CASE WHEN value = 'stale' THEN 'NaN' ELSE value END::DOUBLE AS value,
                 metric, labels
          FROM read_json('{export}', format = 'newline_delimited',
                         columns = {{metric: 'VARCHAR', labels: 'MAP(VARCHAR, VARCHAR)',
                                    timestamp_ms: 'BIGINT', value: 'VARCHAR'}})
        ) TO '{parquet}' (FORMAT parquet)""")
    con.execute(f"CREATE VIEW samples AS SELECT * FROM '{parquet}'")
    con.execute(f"CREATE TABLE owners AS SELECT * FROM read_csv('{owners}', header = true)")
    for q in queries:
        if "promql" not in q:
            continue
        p = q["promql"]
        body = subprocess.run(
            [f"{bin_dir}/parquetry", "query", "--store", store, "--start", p["start"], "--end", p["end"],
             "--step", p["step"], "--format", "json", p["expr"]],
            check=True, capture_output=True, text=True).stdout
        rows = [
            (dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None), float(v), s["metric"].get("job"))
            for s in json.loads(body)["data"]["result"] for t, v in s["values"]
        ]
        con.execute("CREATE OR REPLACE TABLE promql_result (timestamp TIMESTAMP, value DOUBLE, job VARCHAR)")
        con.executemany("INSERT INTO promql_result VALUES (?, ?, ?)", rows)
    return con


def duckdb_sql(q):
    if "promql" not in q:
        return q["sql"]
    start = q["sql"].index("promql_range(")
    end = q["sql"].index(")", q["sql"].index("'1m'")) + 1
    return q["sql"][:start] + "promql_result" + q["sql"][end:]


def main():
    bin_dir, store, work = sys.argv[1:4]
    runs = int(sys.argv[sys.argv.index("--bench") + 1]) if "--bench" in sys.argv else 0
    queries = json.loads((HERE / "queries.json").read_text())
    owners = str(HERE / "owners.csv")
    con = load_duckdb(work, bin_dir, store, owners, queries)
    failed = 0
    for q in queries:
        want = con.sql(duckdb_sql(q)).fetchall()
        got = parquetry_rows(bin_dir, store, q["sql"], owners)
        problem = diff(want, got)
        if problem:
            failed += 1
            print(f"DIFF  {q['name']}: {problem}")
        else:
            print(f"ok    {q['name']}: {len(want)} rows")
    print(f"{len(queries) - failed} passed, {failed} failed, 0 skipped")
    if runs:
        timings = json.loads(subprocess.run(
            [f"{bin_dir}/sql-latency", store, str(runs), str(HERE / "queries.json"), f"owners={owners}"],
            check=True, capture_output=True, text=True).stdout)
        print("\n| query | Parquetry ms | DuckDB ms | Parquetry / DuckDB |\n|---|---|---|---|")
        ratios = []
        for q in queries:
            ours = timings[q["name"]]
            theirs = median_ms(lambda: con.sql(duckdb_sql(q)).fetchall(), runs)
            ratios.append(ours / theirs)
            print(f"| {q['name']} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")
        print(f"| geometric mean | | | {statistics.geometric_mean(ratios):.2f} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
