"""Times and durations in every form a notebook user types them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from parquetry._time import duration_ms, time_ms

T = 1_767_571_200_000  # 2026-01-05T00:00:00Z


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 1, 5),  # naive: UTC
        dt.datetime(2026, 1, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.date(2026, 1, 5),
        pd.Timestamp("2026-01-05", tz="UTC"),
        np.datetime64("2026-01-05T00:00:00"),
        "2026-01-05T00:00:00Z",
        "2026-01-05T01:00:00+01:00",
        "2026-01-05 00:00",
        "2026-01-05",
        T / 1000,
        T // 1000,
        "1767571200",
    ],
)
def test_times_in_every_form(value: object) -> None:
    assert time_ms(value) == T


def test_relative_times_share_one_now() -> None:
    assert time_ms("now", now=T) == T
    assert time_ms("now-6h", now=T) == T - 6 * 3_600_000
    assert time_ms("now + 1h30m", now=T) == T + 5_400_000


def test_fractions_of_seconds_are_kept() -> None:
    assert time_ms(pd.Timestamp("2026-01-05T00:00:00.250Z")) == T + 250
    assert time_ms(1.5) == 1500


@pytest.mark.parametrize(
    ("value", "ms"),
    [("30s", 30_000), ("1h30m", 5_400_000), (dt.timedelta(minutes=1), 60_000), (pd.Timedelta("2s"), 2_000),
     (np.timedelta64(5, "s"), 5_000), (15, 15_000), (0.5, 500)],
)
def test_durations_in_every_form(value: object, ms: int) -> None:
    assert duration_ms(value) == ms


@pytest.mark.parametrize("bad", ["yesterday", "now-", "2026-13-01"])
def test_unreadable_times_say_what_is_expected(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        time_ms(bad)


def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        time_ms(True)
    with pytest.raises(ValueError, match="cannot read '5 minutes' as a duration"):
        duration_ms("5 minutes")
