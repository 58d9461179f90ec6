"""Open time and metadata size as a store's history grows, and what compaction changes.

The same samples (the demo fleet: 150 series over 6 hours, about 216,000 samples) are
ingested as 1, 100 and 1,000 commits (the
rows sorted by time and cut into that many files, one commit each). For each store it
times `parquetry series --store S up` (a cold process that opens the store and answers)
and a range query, and sums the bytes of data files (`samples/`) and of everything else
(metadata: the log, checkpoints, series and directory tables); then it runs
`parquetry compact` and measures again. Prints a Markdown table.

Usage: python3 open_time.py PARQUETRY_BINARY WORK_DIR [--commits 1,100,1000] [--runs 5]
A binary without `compact` (an older build) is measured without the compaction rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from timing import median_ms  # noqa: E402

QUERY = "sum by (job) (rate(http_requests_total[5m]))"
START, END = "2026-01-05T00:30:00Z", "2026-01-05T05:59:00Z"


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def sizes(store: Path) -> tuple[int, int]:
    """Bytes of data files and of everything else."""
    data = meta = 0
    for path in store.rglob("*"):
        if path.is_file():
            if path.relative_to(store).parts[0] == "samples":
                data += path.stat().st_size
            else:
                meta += path.stat().st_size
    return data, meta


def measure(cli: str, store: Path, runs: int) -> dict[str, float]:
    data, meta = sizes(store)
    return {
        "open_ms": median_ms(lambda: run(cli, "series", "--store", str(store), "up"), runs),
        "query_ms": median_ms(
            lambda: run(cli, "query", "--store", str(store), "--start", START, "--end", END, "--step", "1m", QUERY),
            runs,
        ),
        "data": data,
        "meta": meta,
        "files": sum(1 for p in (store / "samples").rglob("*.parquet")),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("work", type=Path)
    parser.add_argument("--commits", default="1,100,1000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    source = work / "source"
    if not (work / "rows.jsonl").exists():
        run(args.cli, "generate", "--series", "150", "--duration", "6h", "--output", str(work / "data.om"))
        shutil.rmtree(source, ignore_errors=True)
        run(args.cli, "ingest", "--store", str(source), str(work / "data.om"))
        exported = run(args.cli, "export", "--store", str(source), "--format", "jsonl")
        (work / "rows.jsonl").write_text(exported)
    rows = (work / "rows.jsonl").read_text().splitlines()
    rows.sort(key=lambda line: json.loads(line)["timestamp_ms"])
    print(f"{len(rows)} samples", file=sys.stderr)

    table = []
    for commits in [int(c) for c in args.commits.split(",")]:
        store = work / f"store-{commits}"
        shutil.rmtree(store, ignore_errors=True)
        parts = work / f"parts-{commits}"
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir()
        # Exactly `commits` non-empty parts (a ceiling-sized cut could leave the last empty).
        files = []
        for i in range(commits):
            path = parts / f"{i:05}.jsonl"
            part = rows[i * len(rows) // commits : (i + 1) * len(rows) // commits]
            path.write_text("\n".join(part) + "\n")
            files.append(str(path))
        run(args.cli, "ingest", "--store", str(store), *files)
        table.append((commits, "as ingested", measure(args.cli, store, args.runs)))
        compacted = subprocess.run(
            [args.cli, "compact", "--store", str(store), "--grace", "0s"], capture_output=True, text=True
        )
        if compacted.returncode == 0:
            table.append((commits, "compacted", measure(args.cli, store, args.runs)))
        shutil.rmtree(parts)

    print("| commits | state | `series up` (ms) | range query (ms) | data files | data bytes | metadata bytes | metadata ÷ data |")
    print("|---|---|---|---|---|---|---|---|")
    for commits, state, m in table:
        print(
            f"| {commits:,} | {state} | {m['open_ms']:.0f} | {m['query_ms']:.0f} | {m['files']:,} "
            f"| {m['data']:,} | {m['meta']:,} | {m['meta'] / max(m['data'], 1):.2f} |"
        )


if __name__ == "__main__":
    main()
