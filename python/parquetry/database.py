"""The notebook API over one Parquetry store."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from . import _html, _native
from ._time import duration_ms, now_ms, time_ms
from .result import LogLines, QueryResult
from .table import Table
from .traces import Trace, TraceSearch

__all__ = ["Database", "IngestReport", "LogIngestReport", "SpanIngestReport", "open"]

PathLike = Union[str, "os.PathLike[str]"]

#: Points per series that a range query aims for when no step is given.
DEFAULT_POINTS = 250
#: The range of a query without a start: one hour before its end.
DEFAULT_RANGE_MS = 3_600_000
#: Lines a LogQL log query returns unless told otherwise, as in Loki's API.
DEFAULT_LOG_LIMIT = 100
_NS_PER_MS = 1_000_000


@dataclasses.dataclass(frozen=True)
class IngestReport:
    """What :meth:`Database.ingest` did."""

    files: int
    series: int
    samples: int
    duplicates: int
    conflicting_duplicates: int
    skipped_lines: int
    first_skipped: list[str]
    bytes_read: int
    bytes_written: int
    seconds: float

    def __str__(self) -> str:
        text = f"ingested {self.samples:,} samples of {self.series:,} series from {self.files} file(s) in {self.seconds:.2f} s"
        if self.skipped_lines:
            text += f"; skipped {self.skipped_lines:,} malformed line(s)"
        return text


@dataclasses.dataclass(frozen=True)
class LogIngestReport:
    """What :meth:`Database.ingest` did with log files."""

    files: int
    streams: int
    entries: int
    line_bytes: int
    duplicates: int
    skipped_lines: int
    first_skipped: list[str]
    bytes_read: int
    bytes_written: int
    seconds: float

    def __str__(self) -> str:
        text = f"ingested {self.entries:,} log entries of {self.streams:,} stream(s) from {self.files} file(s) in {self.seconds:.2f} s"
        if self.duplicates:
            text += f"; dropped {self.duplicates:,} exact duplicate(s)"
        if self.skipped_lines:
            text += f"; skipped {self.skipped_lines:,} malformed line(s)"
        return text


@dataclasses.dataclass(frozen=True)
class SpanIngestReport:
    """What :meth:`Database.ingest` did with span files."""

    files: int
    spans: int
    traces: int
    duplicates: int
    skipped_lines: int
    first_skipped: list[str]
    bytes_read: int
    bytes_written: int
    seconds: float

    def __str__(self) -> str:
        text = f"ingested {self.spans:,} spans of {self.traces:,} trace(s) from {self.files} file(s) in {self.seconds:.2f} s"
        if self.duplicates:
            text += f"; dropped {self.duplicates:,} repeated span(s)"
        if self.skipped_lines:
            text += f"; skipped {self.skipped_lines:,} malformed line(s)"
        return text


def _input_files(source: Union[PathLike, Iterable[PathLike]]) -> list[str]:
    """The files to ingest: one path, several, or every visible file of a folder."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    files: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files.extend(str(p) for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith("."))
        else:
            files.append(str(path))
    if not files:
        raise ValueError(f"no input files in {source!r}")
    return files


def _default_step_ms(start: int, end: int) -> int:
    """About :data:`DEFAULT_POINTS` steps over the range, in whole seconds."""
    return max(1, math.ceil((end - start) / DEFAULT_POINTS / 1000)) * 1000


class Database:
    """A Parquetry store: ingest telemetry, query it with PromQL, LogQL and SQL.

    Open one with :func:`parquetry.open`. Queries read the snapshot taken when the store was
    opened or last ingested into; :meth:`refresh` sees commits made by other processes.
    """

    def __init__(self, native: _native.Database) -> None:
        self._native = native

    @property
    def path(self) -> Union[Path, str]:
        """The store: its folder, or its object-store URL (``s3://bucket/prefix``) as given."""
        location = os.fspath(self._native.path)
        return location if "://" in location else Path(location)

    def refresh(self) -> None:
        """Re-reads the store to see commits made since it was opened."""
        self._native.refresh()

    @property
    def stats(self) -> dict[str, Any]:
        """Metrics: ``series``, ``files``, ``bytes``, and ``start``/``end`` (the first and
        last sample times as UTC datetimes, ``None`` without samples). Logs:
        ``log_streams``, ``log_entries``, ``log_files``, ``log_bytes`` and
        ``log_start``/``log_end``. Spans: ``spans``, ``span_files``, ``span_bytes`` and
        ``span_start``/``span_end`` (earliest and latest span start)."""
        import datetime as dt

        raw = self._native.stats()

        def when(ms: Optional[int]) -> Optional[dt.datetime]:
            return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)

        return {
            "series": raw["series"],
            "files": raw["files"],
            "bytes": raw["bytes"],
            "start": when(raw["min_time_ms"]),
            "end": when(raw["max_time_ms"]),
            "log_streams": raw["log_streams"],
            "log_entries": raw["log_entries"],
            "log_files": raw["log_files"],
            "log_bytes": raw["log_bytes"],
            "log_start": when(raw["log_min_time_ms"]),
            "log_end": when(raw["log_max_time_ms"]),
            "spans": raw["spans"],
            "span_files": raw["span_files"],
            "span_bytes": raw["span_bytes"],
            "span_start": when(raw["span_min_time_ms"]),
            "span_end": when(raw["span_max_time_ms"]),
        }

    def ingest(
        self,
        source: Union[PathLike, Iterable[PathLike]],
        *,
        signal: Optional[str] = None,
        format: Optional[str] = None,
        skip_invalid: bool = False,
        labels: Optional[Mapping[str, str]] = None,
        timestamp_regex: Optional[str] = None,
        timestamp_format: Optional[str] = None,
        service_name: bool = False,
        detect_level: bool = False,
        multiline: bool = False,
    ) -> Union[IngestReport, LogIngestReport, SpanIngestReport]:
        """Ingests a file, a list of files, or every file of a folder, one commit per file.

        ``signal`` is ``"metrics"``, ``"logs"`` or ``"spans"``; when ``None`` it is
        ``"logs"`` if ``labels`` are given, else told from the first file's content (Loki
        push bodies and OTLP logs are logs; OTLP traces spans; OpenMetrics, Prometheus
        text and sample rows metrics). Spans are OTLP/JSON, one ``TracesData`` per line.

        Metrics: ``format`` is ``"openmetrics"``, ``"prometheus"``, ``"jsonl"`` or
        ``"csv"``. Logs: ``"loki-push"``, ``"otlp-json"``, ``"json"``, ``"logfmt"``,
        ``"text"`` or ``"jsonl"`` (entries as exported); plain log files take their stream
        ``labels`` from the argument and their time from the line (``time``/``ts``/
        ``timestamp`` fields, or ``timestamp_regex``/``timestamp_format`` for text).
        ``service_name`` and ``detect_level`` add what Loki 3 adds by default. With
        ``multiline``, a text line without a time continues the entry before it (a stack
        trace stays with its error line). Formats are detected per file when ``None``.

        A malformed line raises :class:`parquetry.IngestError` naming the file and line
        (nothing of that file is committed; earlier files stay), unless ``skip_invalid``
        counts and skips such lines. Ctrl-C stops the ingest the same way. Once 16 small
        commits wait to be compacted, the ingest ends by compacting them.
        """
        files = _input_files(source)
        if signal is None:
            signal = "logs" if labels else (self._native.detect_signal(files[0]) if files else "metrics")
        if signal == "logs":
            report = self._native.ingest_logs(
                files,
                format,
                skip_invalid,
                dict(labels or {}),
                timestamp_regex,
                timestamp_format,
                service_name,
                detect_level,
                multiline,
            )
            return LogIngestReport(**report)
        if signal not in ("metrics", "spans"):
            raise ValueError(f"unknown signal {signal!r}: expected 'metrics', 'logs' or 'spans'")
        if labels or timestamp_regex or timestamp_format or service_name or detect_level or multiline:
            raise ValueError(
                "labels, timestamp_regex, timestamp_format, service_name, detect_level and multiline apply to logs"
            )
        if signal == "spans":
            if format not in (None, "otlp-json"):
                raise ValueError(f"unknown spans format {format!r}: expected 'otlp-json'")
            return SpanIngestReport(**self._native.ingest_spans(files, skip_invalid))
        report = self._native.ingest(files, format, skip_invalid)
        return IngestReport(**report)

    def compact(self, *, grace: Any = "1h") -> dict[str, int]:
        """Rewrites each day's small files into one file per table (metrics and logs) and
        day, in one commit; answers are the same before and after. Files that no version
        names any more are deleted once older than ``grace`` (a duration), for readers of
        older snapshots. Returns what it did: ``files_before``, ``files_after``,
        ``days_rewritten``, ``rows_rewritten``, ``files_deleted``, ``bytes_deleted``, …"""
        return dict(self._native.compact(max(0, duration_ms(grace))))

    def retain(self, keep: Any = None, *, before: Any = None, grace: Any = "1h") -> dict[str, int]:
        """Drops whole days from every table, in one commit: those older than ``keep`` (a
        duration back from now, such as ``"90d"``), or those that end at or before
        ``before`` (a time). What is kept is compacted; ``grace`` is as for
        :meth:`compact`. Returns what it did, with ``days_dropped``."""
        if (keep is None) == (before is None):
            raise ValueError("say how much to keep: keep=DURATION or before=TIME")
        cutoff = now_ms() - duration_ms(keep) if keep is not None else time_ms(before)
        return dict(self._native.retain(cutoff, max(0, duration_ms(grace))))

    def _last_sample_ms(self) -> int:
        last = self._native.stats()["max_time_ms"]
        return now_ms() if last is None else last

    def promql(
        self,
        expr: str,
        start: Any = None,
        end: Any = None,
        step: Any = None,
        *,
        lookback: Any = None,
    ) -> QueryResult:
        """Evaluates ``expr`` as a range query.

        ``end`` defaults to the store's last sample, ``start`` to one hour before ``end``,
        and ``step`` to about 250 points over the range. Times take datetimes, pandas
        Timestamps, ISO strings, Unix seconds and ``"now-6h"``; ``step`` and ``lookback``
        take ``"30s"``, timedeltas or seconds.
        """
        now = now_ms()
        end_ms = self._last_sample_ms() if end is None else time_ms(end, now=now)
        start_ms = end_ms - DEFAULT_RANGE_MS if start is None else time_ms(start, now=now)
        step_ms = _default_step_ms(start_ms, end_ms) if step is None else duration_ms(step)
        lookback_ms = None if lookback is None else duration_ms(lookback)
        native = self._native.promql_range(expr, start_ms, end_ms, step_ms, lookback_ms)
        return QueryResult(native, expr, "PromQL range query")

    def promql_instant(self, expr: str, time: Any = None, *, lookback: Any = None) -> QueryResult:
        """Evaluates ``expr`` at one time (default: the store's last sample)."""
        at = self._last_sample_ms() if time is None else time_ms(time)
        lookback_ms = None if lookback is None else duration_ms(lookback)
        native = self._native.promql_instant(expr, at, lookback_ms)
        return QueryResult(native, expr, "PromQL instant query")

    def _after_last_log_ms(self) -> int:
        last = self._native.stats()["log_max_time_ms"]
        return now_ms() if last is None else last + 1

    def _logql_result(self, native: Any, query: str, caption: str) -> Union[QueryResult, LogLines]:
        if isinstance(native, _native.PromqlResult):
            return QueryResult(native, query, f"LogQL {caption}")
        return LogLines(native, query, f"LogQL log {caption}")

    def logql(
        self,
        query: str,
        start: Any = None,
        end: Any = None,
        step: Any = None,
        *,
        limit: int = DEFAULT_LOG_LIMIT,
        direction: str = "backward",
        interval: Any = None,
    ) -> Union[QueryResult, LogLines]:
        """Evaluates the LogQL ``query`` over the store's logs, as a range query.

        A metric query (``sum by (app) (rate({app=~".+"} |= "error" [5m]))``) gives a
        :class:`QueryResult`, as :meth:`promql` does. A log query (``{app="api"} | json |
        level="error"``) gives :class:`LogLines`: the ``limit`` newest lines in
        ``[start, end)`` (the oldest with ``direction="forward"``), over all streams,
        at least ``interval`` apart when given.

        ``end`` defaults to just after the store's newest log entry, ``start`` to one hour
        before ``end``, ``step`` to about 250 points. Times and durations take what
        :meth:`promql` takes.
        """
        now = now_ms()
        end_ms = self._after_last_log_ms() if end is None else time_ms(end, now=now)
        start_ms = end_ms - DEFAULT_RANGE_MS if start is None else time_ms(start, now=now)
        step_ms = _default_step_ms(start_ms, end_ms) if step is None else duration_ms(step)
        interval_ms = 0 if interval is None else duration_ms(interval)
        native = self._native.logql_range(
            query,
            start_ms * _NS_PER_MS,
            end_ms * _NS_PER_MS,
            step_ms * _NS_PER_MS,
            limit,
            direction,
            interval_ms * _NS_PER_MS,
        )
        return self._logql_result(native, query, "range query")

    def logql_instant(
        self, query: str, time: Any = None, *, limit: int = DEFAULT_LOG_LIMIT, direction: str = "backward"
    ) -> Union[QueryResult, LogLines]:
        """Evaluates the LogQL ``query`` at one time (default: just after the store's newest
        log entry): a metric query's vector, or a log query's lines of the 30 seconds before
        ``time``."""
        at = self._after_last_log_ms() if time is None else time_ms(time)
        native = self._native.logql_instant(query, at * _NS_PER_MS, limit, direction)
        return self._logql_result(native, query, "instant query")

    def trace(self, trace_id: str) -> Trace:
        """The spans of the trace ``trace_id`` (32 hex digits, or 16 for a 64-bit id) as a
        :class:`Trace`: a table in start order that draws as a waterfall, with
        ``.logs()`` for the log lines that carry the same trace id. Raises
        :class:`KeyError` when the trace is not stored."""
        native = self._native.trace(trace_id)
        if native.num_rows == 0:
            raise KeyError(f"trace {trace_id.lower()} is not in the store")
        return Trace(native, trace_id.lower(), lambda: LogLines(self._native.trace_logs(trace_id), trace_id, "log lines of the trace"))

    def _span_range_ms(self, start: Any, end: Any) -> tuple[int, int]:
        raw = self._native.stats()
        now = now_ms()
        if start is None:
            start_ms = raw["span_min_time_ms"] if raw["span_min_time_ms"] is not None else now - DEFAULT_RANGE_MS
        else:
            start_ms = time_ms(start, now=now)
        if end is None:
            end_ms = raw["span_max_time_ms"] + 1 if raw["span_max_time_ms"] is not None else now
        else:
            end_ms = time_ms(end, now=now)
        if end_ms <= start_ms:
            raise ValueError("end must be after start")
        return start_ms, end_ms

    def traceql(
        self,
        query: str,
        start: Any = None,
        end: Any = None,
        step: Any = None,
        *,
        limit: int = 20,
        spss: int = 3,
    ) -> Union[TraceSearch, QueryResult]:
        """Runs the TraceQL ``query`` over the traces with a span starting in
        ``[start, end)`` (by default every stored span).

        A search (``{ resource.service.name = "payment" && status = error }``) gives a
        :class:`TraceSearch`: the ``limit`` newest traces found, ``spss`` spans shown per
        spanset, as Tempo's search API. A metrics query (``{ status = error } | rate() by
        (resource.service.name)``) gives a :class:`QueryResult` whose points sit at the
        start of each ``step`` (by default about 250 points). Times and durations take
        what :meth:`promql` takes.
        """
        start_ms, end_ms = self._span_range_ms(start, end)
        if _native.Database.traceql_kind(query) == "metrics":
            step_ms = _default_step_ms(start_ms, end_ms) if step is None else duration_ms(step)
            if step_ms <= 0:
                raise ValueError("step must be positive")
            native = self._native.traceql_metrics(
                query, start_ms * _NS_PER_MS, end_ms * _NS_PER_MS, step_ms * _NS_PER_MS
            )
            return QueryResult(native, query, "TraceQL metrics")
        return TraceSearch(
            self._native.traceql_search(query, start_ms * _NS_PER_MS, end_ms * _NS_PER_MS, limit, spss), query
        )

    def sql(self, query: str, *, tables: Optional[Mapping[str, PathLike]] = None) -> Table:
        """Runs one SQL statement over ``samples``, ``series``, ``logs``, ``spans``,
        ``promql_range(...)``, ``promql_instant(...)``, ``logql_range(...)``,
        ``logql_instant(...)``, ``logql_logs(...)`` and ``traceql(...)``, plus ``tables``: name → Parquet file
        or folder, or CSV file with a header line, registered for this statement."""
        files = None if tables is None else {name: os.fspath(path) for name, path in tables.items()}
        return Table(self._native.sql(query, files), "SQL result")

    def series(self, selector: str = '{__name__=~".+"}') -> Table:
        """The series ``selector`` matches (every series by default), a row each: their
        labels and the times of their first and last samples."""
        return Table(self._native.series(selector), f"series matching {selector}")

    def _repr_html_(self) -> str:
        s = self.stats
        return _html.key_values(
            f"Parquetry store {self.path}",
            [
                ("series", f"{s['series']:,}"),
                ("files", s["files"]),
                ("size", f"{s['bytes'] / 1e6:,.1f} MB"),
                ("from", s["start"]),
                ("to", s["end"]),
                ("log streams", f"{s['log_streams']:,}"),
                ("log entries", f"{s['log_entries']:,}"),
                ("logs size", f"{s['log_bytes'] / 1e6:,.1f} MB"),
                ("logs from", s["log_start"]),
                ("logs to", s["log_end"]),
            ],
        )

    def __repr__(self) -> str:
        s = self._native.stats()
        return f"<parquetry.Database {str(self.path)!r}: {s['series']:,} series, {s['log_streams']:,} log streams>"


def open(path: PathLike, *, create: bool = True) -> Database:
    """Opens the Parquetry store in ``path``: a folder, or an object-store URL such as
    ``s3://bucket/prefix`` (credentials from the usual environment variables).

    With ``create`` (the default) a folder without a store gets an empty one, ready for
    :meth:`Database.ingest`; with ``create=False`` a missing store raises
    :class:`parquetry.StoreError`.
    """
    return Database(_native.Database(os.fspath(path), create))
