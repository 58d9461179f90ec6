"""Query results: PromQL and LogQL metric results as long and wide tables, pandas and
polars frames and plots; LogQL log lines as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import _native
from .table import Table

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import pandas
    import polars
    import pyarrow

__all__ = ["LogLines", "QueryResult"]


class QueryResult(Table):
    """The answer to a PromQL query, or to a LogQL metric query.

    As a table (``pyarrow.table(result)``, ``to_arrow()``, ``to_pandas()``, ``to_polars()``)
    it is in **long form**: one row per point with ``timestamp`` (UTC), ``value``, ``metric``
    and one column per label. ``wide=True`` gives the **wide form** instead: a ``timestamp``
    index and one column per series, named by its labels, ready for ``.plot()``.
    """

    def __init__(self, native: _native.PromqlResult, expr: str, caption: str) -> None:
        super().__init__(native.long(), caption)
        self._result = native
        self._wide: Optional[_native.ArrowTable] = None
        self.expr = expr

    @property
    def kind(self) -> str:
        """``matrix``, ``vector``, ``scalar`` or ``string``, as Prometheus' HTTP API says."""
        return self._result.kind

    @property
    def num_series(self) -> int:
        """The number of series (1 for a scalar)."""
        return self._result.num_series

    @property
    def num_points(self) -> int:
        """The number of points over all series."""
        return self._result.num_points

    def labels(self) -> list[dict[str, str]]:
        """Each series' labels, in result order (``__name__`` included when kept)."""
        return self._result.labels()

    def _wide_table(self) -> _native.ArrowTable:
        if self._wide is None:
            self._wide = self._result.wide()
        return self._wide

    def to_arrow(self, wide: bool = False) -> "pyarrow.Table":
        """The result as a ``pyarrow.Table`` in long form, or wide with ``wide=True``."""
        import pyarrow

        return pyarrow.table(self._wide_table() if wide else self._native)

    def to_pandas(self, wide: bool = False) -> "pandas.DataFrame":
        """The result as a pandas DataFrame.

        Long form: a row per point, label columns as categoricals. Wide form
        (``wide=True``): indexed by ``timestamp``, a float column per series, NaN where a
        series has no point.
        """
        frame = self.to_arrow(wide=wide).to_pandas()
        if wide and "timestamp" in frame.columns:
            frame = frame.set_index("timestamp")
        return frame

    def to_polars(self, wide: bool = False) -> "polars.DataFrame":
        """The result as a polars DataFrame, long or wide as :meth:`to_pandas`, sharing the
        engine's memory."""
        import polars

        return polars.DataFrame(self._wide_table() if wide else self._native)

    def plot(self, ax: Any = None, *, title: Optional[str] = None, legend: Optional[bool] = None, **kwargs: Any) -> Any:
        """Draws the series over time with matplotlib and returns the axes.

        Legends name series by the labels that differ between them, and are left out for
        more than 12 series unless ``legend=True``. Other keyword arguments go to
        ``pandas.DataFrame.plot``.
        """
        from ._plot import plot_result

        return plot_result(self, ax=ax, title=title, legend=legend, **kwargs)

    def _repr_html_(self) -> str:
        from . import _html

        columns, rows = self._preview()
        caption = f"{self._caption}: {self.kind}, {self.num_series:,} series, {self.num_points:,} points"
        return _html.table(caption, columns, rows, self.num_rows)

    def __repr__(self) -> str:
        return (
            f"<parquetry.QueryResult {self.expr!r}: {self.kind}, {self.num_series:,} series, "
            f"{self.num_points:,} points>"
        )


class LogLines(Table):
    """The lines a LogQL log query returned.

    A row per line, in the query's direction across streams (newest first by default):
    ``timestamp`` (UTC, nanoseconds), ``line``, ``labels`` (the line's final labels as a
    map: stream labels, structured metadata, parsed labels and ``__error__``) and one
    column per label name.
    """

    def __init__(self, native: _native.ArrowTable, query: str, caption: str) -> None:
        super().__init__(native, caption)
        self.query = query

    def lines(self) -> list[str]:
        """The lines, in table order."""
        import pyarrow

        return pyarrow.table(self._native).column("line").to_pylist()

    def _repr_html_(self) -> str:
        from . import _html

        columns, rows = self._preview()
        shown = [i for i, c in enumerate(columns) if c != "labels"]
        return _html.table(
            f"{self._caption}: {self.num_rows:,} lines",
            [columns[i] for i in shown],
            [tuple(row[i] for i in shown) for row in rows],
            self.num_rows,
        )

    def __repr__(self) -> str:
        return f"<parquetry.LogLines {self.query!r}: {self.num_rows:,} lines>"
