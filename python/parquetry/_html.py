"""Compact HTML tables for Jupyter's rich display."""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

#: Rows shown before the table is cut off.
PREVIEW_ROWS = 10


def _cell(value: Any) -> str:
    if value is None:
        return '<td style="color:#999">null</td>'
    if isinstance(value, float):
        return f'<td style="text-align:right">{value:.6g}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table(caption: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], total_rows: int) -> str:
    """An HTML table of ``rows`` under ``caption``, noting how many of ``total_rows`` it shows."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    shown = min(total_rows, PREVIEW_ROWS)
    more = f"<p><small>{shown} of {total_rows:,} rows shown</small></p>" if total_rows > shown else ""
    return (
        f"<div><p><b>{html.escape(caption)}</b></p>"
        f'<table border="1" class="dataframe"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{more}</div>"
    )


def key_values(caption: str, items: Iterable[tuple[str, Any]]) -> str:
    """A two-column HTML table of ``items`` under ``caption``."""
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>{_cell(v)}</tr>" for k, v in items)
    return f"<div><p><b>{html.escape(caption)}</b></p><table>{rows}</table></div>"
