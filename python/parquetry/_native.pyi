"""Type stubs of the compiled module ``parquetry._native``.

Times are integer milliseconds since the Unix epoch and durations integer milliseconds;
the pure-Python layer converts what users type.
"""

from typing import Any, Mapping, Optional, Sequence, Union

__version__: str

def parse_duration(text: str) -> int:
    """Milliseconds of a Prometheus duration such as ``1h30m``; ``ValueError`` otherwise."""

def parse_timestamp(text: str) -> int:
    """Milliseconds since the epoch of an RFC 3339 time or Unix seconds."""

class ArrowTable:
    """Arrow record batches exported through the Arrow PyCapsule interface."""

    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...
    def __arrow_c_schema__(self) -> Any: ...
    def __len__(self) -> int: ...

class PromqlResult:
    """A PromQL answer held in Rust."""

    @property
    def kind(self) -> str: ...
    @property
    def num_series(self) -> int: ...
    @property
    def num_points(self) -> int: ...
    def labels(self) -> list[dict[str, str]]: ...
    def long(self) -> ArrowTable: ...
    def wide(self) -> ArrowTable: ...

class Database:
    """One store; calls release the GIL and stop on Ctrl-C."""

    def __init__(self, path: str, create: bool = True) -> None: ...
    @property
    def path(self) -> str: ...
    def refresh(self) -> None: ...
    def ingest(self, paths: Sequence[str], format: Optional[str] = None, skip_invalid: bool = False) -> dict[str, Any]: ...
    def ingest_logs(
        self,
        paths: Sequence[str],
        format: Optional[str] = None,
        skip_invalid: bool = False,
        labels: Optional[Mapping[str, str]] = None,
        timestamp_regex: Optional[str] = None,
        timestamp_format: Optional[str] = None,
        service_name: bool = False,
        detected_level: bool = False,
        multiline: bool = False,
    ) -> dict[str, Any]: ...
    def compact(self, grace_ms: int) -> dict[str, int]: ...
    def retain(self, keep_from_ms: int, grace_ms: int) -> dict[str, int]: ...
    @staticmethod
    def detect_signal(path: str) -> str: ...
    def promql_range(
        self, expr: str, start_ms: int, end_ms: int, step_ms: int, lookback_ms: Optional[int] = None
    ) -> PromqlResult: ...
    def promql_instant(self, expr: str, time_ms: int, lookback_ms: Optional[int] = None) -> PromqlResult: ...
    def logql_range(
        self,
        query: str,
        start_ns: int,
        end_ns: int,
        step_ns: int,
        limit: int,
        direction: str,
        interval_ns: int,
    ) -> Union[PromqlResult, ArrowTable]: ...
    def logql_instant(
        self, query: str, time_ns: int, limit: int, direction: str
    ) -> Union[PromqlResult, ArrowTable]: ...
    def sql(self, query: str, tables: Optional[Mapping[str, str]] = None) -> ArrowTable: ...
    def series(self, selector: str) -> ArrowTable: ...
    def stats(self) -> dict[str, Any]: ...

def generate_demo(path: str, series: int, start_ms: int, duration_ms: int, interval_ms: int, format: str) -> int:
    """Writes the demo fleet to ``path``; returns the samples written."""
