"""The demo fleet: a deterministic dataset of HTTP traffic, error bursts, restarts, latency
histograms, CPU counters and filling disks, for trying Parquetry out."""

from __future__ import annotations

import os
from typing import Any, Union

from . import _native
from ._time import duration_ms, time_ms

__all__ = ["DEFAULT_START", "generate_demo"]

#: Where demo data starts by default: Monday 2026-01-05, 00:00 UTC.
DEFAULT_START = "2026-01-05T00:00:00Z"


def generate_demo(
    path: Union[str, "os.PathLike[str]"],
    *,
    series: int = 2000,
    start: Any = DEFAULT_START,
    duration: Any = "6h",
    interval: Any = "15s",
    format: str = "openmetrics",
) -> int:
    """Writes about ``series`` series of the demo fleet to ``path`` and returns the number of
    samples. ``format`` is ``"openmetrics"``, ``"jsonl"`` or ``"csv"``; the same arguments
    always give the same file."""
    return _native.generate_demo(
        os.fspath(path), series, time_ms(start), duration_ms(duration), duration_ms(interval), format
    )
