"""Starting the `parquetry` command line's server for the tests that talk to it."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest


def cli() -> Path:
    """The `parquetry` binary that scripts/test-python names, or the workspace's own."""
    named = os.environ.get("PARQUETRY_CLI")
    path = Path(named) if named else Path(__file__).resolve().parents[2] / "target" / "debug" / "parquetry"
    if not path.exists():
        pytest.skip(f"SKIPPED: no parquetry binary at {path} (scripts/test-python sets PARQUETRY_CLI)")
    return path


def start_serve(store: Path, errors: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    """`parquetry serve` over `store` on a free loopback port, its standard error in
    `errors`; returns the process and its URL once it listens (fails the test if it does
    not within a minute)."""
    with errors.open("w") as stderr:
        server = subprocess.Popen(
            [str(cli()), "serve", "--store", str(store), "--listen", "127.0.0.1:0", *flags],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", errors.read_text())
        if found:
            return server, found.group(1)
        time.sleep(0.05)
    server.kill()
    server.wait(timeout=30)
    raise AssertionError(f"parquetry serve did not start: {errors.read_text()}")
