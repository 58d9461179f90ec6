"""Traces from Python: one trace as a table with its waterfall, and TraceQL searches."""

from __future__ import annotations

import html
import json
from typing import Any, Callable, Optional

from . import _html, _native
from .result import LogLines
from .table import Table

__all__ = ["Trace", "TraceSearch"]

#: Width of the waterfall's timeline, in pixels.
_BAR_PX = 320


def _duration_text(ns: int) -> str:
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.2f}s"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.2f}ms"
    if ns >= 1_000:
        return f"{ns / 1e3:.1f}µs"
    return f"{ns}ns"


class Trace(Table):
    """The spans of one trace, a row each in start order, with the columns of the SQL
    ``spans`` table: ``trace_id``, ``span_id``, ``parent_span_id`` (hex), ``name``,
    ``kind``, ``service_name``, ``start_time``/``end_time`` (UTC), ``duration_ns``,
    ``status_code``, ``status_message``, ``attributes``, ``resource_attributes``, the scope
    and the promoted attributes. In a notebook it draws as a waterfall."""

    def __init__(self, native: _native.ArrowTable, trace_id: str, logs: Callable[[], LogLines]) -> None:
        super().__init__(native, f"trace {trace_id}")
        self.trace_id = trace_id
        self._logs = logs

    def logs(self) -> LogLines:
        """The log lines that carry this trace's id, oldest first."""
        return self._logs()

    def _rows(self) -> list[dict[str, Any]]:
        import pyarrow

        table = pyarrow.table(self._native).select(
            ["span_id", "parent_span_id", "name", "service_name", "kind", "start_time", "duration_ns",
             "status_code", "status_message"]
        )
        rows = table.to_pylist()
        for row in rows:
            row["start_ns"] = int(pyarrow.scalar(row["start_time"], pyarrow.timestamp("ns", "UTC")).value)
        return rows

    def waterfall(self) -> list[tuple[int, dict[str, Any]]]:
        """The spans depth first (children in start order under their parent), each with
        its depth: the rows of the waterfall."""
        rows = self._rows()
        ids = {row["span_id"] for row in rows}
        children: dict[Optional[str], list[dict[str, Any]]] = {}
        for row in rows:
            parent = row["parent_span_id"] if row["parent_span_id"] in ids else None
            children.setdefault(parent, []).append(row)
        out: list[tuple[int, dict[str, Any]]] = []
        seen: set[str] = set()
        stack = [(0, row) for row in reversed(children.get(None, []))]
        while stack:
            depth, row = stack.pop()
            if row["span_id"] in seen:
                continue
            seen.add(row["span_id"])
            out.append((depth, row))
            stack.extend((depth + 1, child) for child in reversed(children.get(row["span_id"], [])))
        out.extend((0, row) for row in rows if row["span_id"] not in seen)
        return out

    def _repr_html_(self) -> str:
        rows = self.waterfall()
        if not rows:
            return _html.table(f"trace {self.trace_id}: not in the store", [], [], 0)
        start = min(row["start_ns"] for _, row in rows)
        end = max(row["start_ns"] + row["duration_ns"] for _, row in rows)
        total = max(end - start, 1)
        body = []
        for depth, row in rows:
            left = (row["start_ns"] - start) * _BAR_PX // total
            width = max(row["duration_ns"] * _BAR_PX // total, 1)
            error = row["status_code"] == "error"
            color = "#d62728" if error else "#1f77b4"
            label = html.escape(row["name"])
            mark = f' <span style="color:#d62728">✗ {html.escape(row["status_message"] or "error")}</span>' if error else ""
            body.append(
                "<tr>"
                f'<td style="text-align:left;padding-left:{depth * 14}px">{label}{mark}</td>'
                f"<td>{html.escape(row['service_name'])}</td><td>{row['kind']}</td>"
                f'<td style="text-align:right">{_duration_text(row["duration_ns"])}</td>'
                f'<td><div style="position:relative;width:{_BAR_PX}px;height:10px;background:#eee">'
                f'<div style="position:absolute;left:{left}px;width:{width}px;height:10px;background:{color}">'
                "</div></div></td></tr>"
            )
        services = len({row["service_name"] for _, row in rows})
        caption = (
            f"trace {self.trace_id}: {len(rows)} spans, {services} services, {_duration_text(end - start)}"
        )
        return (
            f"<div><p><b>{html.escape(caption)}</b></p><table>"
            "<thead><tr><th>span</th><th>service</th><th>kind</th><th>duration</th><th>timeline</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )

    def __repr__(self) -> str:
        return f"<parquetry.Trace {self.trace_id}: {self.num_rows:,} spans>"


class TraceSearch:
    """The traces a TraceQL search found, newest first, as Tempo's search API returns
    them: :attr:`traces` holds, per trace, ``traceID``, ``rootServiceName``,
    ``rootTraceName``, ``startTimeUnixNano``, ``durationMs`` and ``spanSets`` (each with
    its first ``spans`` and the number ``matched``)."""

    def __init__(self, response: str, query: str) -> None:
        self.response: dict[str, Any] = json.loads(response)
        self.query = query

    @property
    def traces(self) -> list[dict[str, Any]]:
        """The traces found, newest first."""
        return self.response["traces"]

    @property
    def trace_ids(self) -> list[str]:
        """The ids of the traces found, newest first."""
        return [t["traceID"] for t in self.traces]

    def __len__(self) -> int:
        return len(self.traces)

    def _records(self) -> list[dict[str, Any]]:
        import datetime as dt

        return [
            {
                "trace_id": t["traceID"],
                "start_time": dt.datetime.fromtimestamp(int(t["startTimeUnixNano"]) / 1e9, dt.timezone.utc),
                "root_service": t["rootServiceName"],
                "root_name": t["rootTraceName"],
                "duration_ms": t["durationMs"],
                "matched_spans": sum(s["matched"] for s in t["spanSets"]),
            }
            for t in self.traces
        ]

    def to_pandas(self) -> "pandas.DataFrame":  # noqa: F821
        """A row per trace: ``trace_id``, ``start_time``, ``root_service``, ``root_name``,
        ``duration_ms`` and ``matched_spans``."""
        import pandas

        return pandas.DataFrame.from_records(
            self._records(),
            columns=["trace_id", "start_time", "root_service", "root_name", "duration_ms", "matched_spans"],
        )

    def _repr_html_(self) -> str:
        records = self._records()
        columns = ["trace_id", "start_time", "root_service", "root_name", "duration_ms", "matched_spans"]
        rows = [tuple(r[c] for c in columns) for r in records[: _html.PREVIEW_ROWS]]
        return _html.table(f"TraceQL {self.query}: {len(records)} traces", columns, rows, len(records))

    def __repr__(self) -> str:
        return f"<parquetry.TraceSearch {self.query!r}: {len(self):,} traces>"
