"""Timing helpers shared by the Python benchmark scripts."""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable


def median_ms(work: Callable[[], Any], runs: int) -> float:
    """The median wall time of ``runs`` calls of ``work``, in milliseconds."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)
