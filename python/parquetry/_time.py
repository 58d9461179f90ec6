"""Times and durations as users type them, turned into integer milliseconds.

Times: ``datetime`` (naive ones are UTC), ``date`` (midnight UTC), pandas ``Timestamp``,
``numpy.datetime64``, Unix seconds (``int``/``float``), RFC 3339 or ISO 8601 strings,
and ``"now"`` with an optional offset such as ``"now-6h"`` or ``"now+30m"``.

Durations: ``timedelta``, pandas ``Timedelta``, ``numpy.timedelta64``, seconds
(``int``/``float``) and Prometheus duration strings such as ``"30s"`` or ``"1h30m"``.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import re
import time as _time
from typing import Any

from . import _native

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MS = _dt.timedelta(milliseconds=1)
_RELATIVE = re.compile(r"^now\s*(?:(?P<sign>[+-])\s*(?P<dur>\S+))?$")

__all__ = ["now_ms", "time_ms", "duration_ms"]


def now_ms() -> int:
    """The current time in milliseconds since the epoch."""
    return _time.time_ns() // 1_000_000


def _datetime_ms(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    # Exact integer arithmetic: pandas Timestamps keep nanoseconds, floats would round.
    return (value - _EPOCH) // _MS


def _numpy_ms(value: Any, wanted: str) -> int | None:
    """Milliseconds of a numpy value of type ``wanted`` (datetime64 or timedelta64), None
    for values that are not numpy times; the other numpy time type is a type error."""
    kind = type(value).__name__
    if kind not in ("datetime64", "timedelta64"):
        return None
    if kind != wanted:
        raise TypeError(f"expected a {wanted}, got a numpy {kind}: {value!r}")
    return int(value.astype(f"{kind}[ms]").astype("int64"))


def _plain_ms(value: Any, numpy_kind: str, what: str) -> int | None:
    """Milliseconds of a number of seconds or a numpy ``numpy_kind`` value; None for other
    types. ``None`` and booleans are type errors, not times or durations."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"expected a {what}, got {value!r}")
    # numpy first: it registers timedelta64 as an integer type.
    numpy_ms = _numpy_ms(value, numpy_kind)
    if numpy_ms is not None:
        return numpy_ms
    if isinstance(value, numbers.Real):
        return round(float(value) * 1000)
    return None


def time_ms(value: Any, *, now: int | None = None) -> int:
    """Milliseconds since the epoch of ``value`` (see the module docs for the forms).

    ``now`` fixes the time that ``"now"`` means, so several times of one call agree.
    """
    plain = _plain_ms(value, "datetime64", "time")
    if plain is not None:
        return plain
    if isinstance(value, _dt.datetime):
        return _datetime_ms(value)
    if isinstance(value, _dt.date):
        return _datetime_ms(_dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str):
        text = value.strip()
        relative = _RELATIVE.match(text)
        if relative:
            base = now_ms() if now is None else now
            if relative.group("dur") is None:
                return base
            offset = duration_ms(relative.group("dur"))
            return base - offset if relative.group("sign") == "-" else base + offset
        try:
            return _native.parse_timestamp(text)
        except ValueError:
            pass
        try:
            return _datetime_ms(_dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise ValueError(
                f"cannot read {value!r} as a time: expected RFC 3339 or ISO 8601 "
                "(2026-01-02T03:04:05Z), Unix seconds, or now/now-6h"
            ) from None
    raise TypeError(f"expected a time, got {type(value).__name__}: {value!r}")


def duration_ms(value: Any) -> int:
    """Milliseconds of the duration ``value`` (see the module docs for the forms)."""
    plain = _plain_ms(value, "timedelta64", "duration")
    if plain is not None:
        return plain
    if isinstance(value, _dt.timedelta):
        return value // _MS
    if isinstance(value, str):
        try:
            return _native.parse_duration(value.strip())
        except ValueError as e:
            raise ValueError(f"cannot read {value!r} as a duration: {e}") from None
    raise TypeError(f"expected a duration, got {type(value).__name__}: {value!r}")
