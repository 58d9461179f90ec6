"""Shared fixtures: a small demo store, built once per test session."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

import parquetry

matplotlib.use("Agg")

#: The demo data: about 400 series over two hours at 15 s, from this start.
START = "2026-01-05T00:00:00Z"
END = "2026-01-05T02:00:00Z"


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "fleet.om"
    parquetry.generate_demo(path, series=400, start=START, duration="2h", interval="15s")
    return path


@pytest.fixture(scope="session")
def db(tmp_path_factory: pytest.TempPathFactory, demo_file: Path) -> parquetry.Database:
    store = parquetry.open(tmp_path_factory.mktemp("store") / "store")
    store.ingest(demo_file)
    return store
