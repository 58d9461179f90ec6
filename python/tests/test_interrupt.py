"""Long calls release the GIL and stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback

import pytest

import parquetry
from conftest import END, START

#: A query that keeps the engine busy for a while, and one that takes far longer than the
#: test waits (a subquery at one-second resolution per step).
BUSY = "quantile_over_time(0.5, rate(http_requests_total[5m])[90m:1s])"
HEAVY = "quantile_over_time(0.5, rate(http_requests_total[5m])[2h:1s])"


def test_ctrl_c_stops_a_running_query(db: parquetry.Database) -> None:
    # Ctrl-C is pressed after half a second and again every 200 ms until the call ends,
    # so that a slow start on a busy machine does not let the query run unasked; the
    # handler raises `KeyboardInterrupt` for the first press only.
    answered = threading.Event()
    presses: list[int] = []

    def on_ctrl_c(signum: int, frame: object) -> None:
        presses.append(signum)
        if len(presses) == 1:
            raise KeyboardInterrupt

    def press_ctrl_c() -> None:
        answered.wait(0.5)
        while not answered.is_set():
            os.kill(os.getpid(), signal.SIGINT)
            answered.wait(0.2)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            db.promql(HEAVY, start=START, end=END, step="2s")
    finally:
        answered.set()
        presser.join()
        signal.signal(signal.SIGINT, previous)
    # The interrupt surfaced inside the native call, not after it returned.
    frames = traceback.extract_tb(caught.value.__traceback__)
    assert any(f.filename.endswith("database.py") and "promql_range(" in (f.line or "") for f in frames), frames
    # The store still answers.
    assert db.promql_instant("count(up)", time=END).num_points == 1
    assert time.monotonic() - started < 60


def test_other_threads_run_while_a_query_runs(db: parquetry.Database) -> None:
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    thread = threading.Thread(target=tick)
    thread.start()
    try:
        began = time.monotonic()
        db.promql(BUSY, start=START, end=END, step="15s")
        ended = time.monotonic()
    finally:
        stop.set()
        thread.join()
    # With the GIL held for the whole call, no tick could land well inside it.
    assert ended - began > 0.2, "the query is too quick to tell"
    inside = [t for t in ticks if began + 0.05 < t < ended - 0.05]
    assert inside, (began, ended)
