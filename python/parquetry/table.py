"""Query results as Arrow data, with conversions to pyarrow, pandas and polars.

Results keep their columns in Rust-owned Arrow memory and hand them over through the Arrow
PyCapsule interface (``__arrow_c_stream__``): ``pyarrow.table(result)`` and
``polars.DataFrame(result)`` take them without copying, and ``to_pandas()`` converts whole
columns at a time, never point by point in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import _html, _native

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import pandas
    import polars
    import pyarrow

__all__ = ["Table"]


class Table:
    """Rows returned by :meth:`Database.sql` or :meth:`Database.series`."""

    def __init__(self, native: _native.ArrowTable, caption: str) -> None:
        self._native = native
        self._caption = caption

    @property
    def num_rows(self) -> int:
        """The number of rows."""
        return self._native.num_rows

    @property
    def column_names(self) -> list[str]:
        """The column names, in order."""
        return self._native.column_names

    def __len__(self) -> int:
        return self._native.num_rows

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The rows as an Arrow C stream (the Arrow PyCapsule interface)."""
        return self._native.__arrow_c_stream__(requested_schema)

    def __arrow_c_schema__(self) -> Any:
        """The schema as an Arrow C schema (the Arrow PyCapsule interface)."""
        return self._native.__arrow_c_schema__()

    def to_arrow(self) -> "pyarrow.Table":
        """The rows as a ``pyarrow.Table``, sharing the engine's memory."""
        import pyarrow

        return pyarrow.table(self._native)

    def to_pandas(self) -> "pandas.DataFrame":
        """The rows as a pandas DataFrame; label columns become categoricals."""
        return self.to_arrow().to_pandas()

    def to_polars(self) -> "polars.DataFrame":
        """The rows as a polars DataFrame, sharing the engine's memory."""
        import polars

        return polars.DataFrame(self._native)

    def _preview(self, native: Optional[_native.ArrowTable] = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        import pyarrow

        head = pyarrow.table(native or self._native).slice(0, _html.PREVIEW_ROWS)
        columns = head.column_names
        data = head.to_pydict()
        return columns, list(zip(*(data[c] for c in columns)))

    def _repr_html_(self) -> str:
        columns, rows = self._preview()
        return _html.table(self._caption, columns, rows, self.num_rows)

    def __repr__(self) -> str:
        return f"<parquetry.{type(self).__name__}: {self._caption}, {self.num_rows:,} rows, columns {self.column_names}>"
