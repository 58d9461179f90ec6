"""The exceptions Parquetry raises.

Every error the engine reports is a :class:`ParquetryError`; the subclasses say which part
of the work failed and carry the details a user needs to fix the input.
"""

from __future__ import annotations

import os
from typing import Optional, Union

__all__ = ["ParquetryError", "QueryError", "IngestError", "StoreError"]


class ParquetryError(Exception):
    """Base class of every Parquetry error."""


class QueryError(ParquetryError, ValueError):
    """A PromQL or SQL query that does not parse or cannot be evaluated.

    For parse errors, ``line`` and ``column`` (1-based, in characters) and ``offset`` (0-based,
    in bytes) say where the query went wrong; they are ``None`` for errors found later.
    """

    def __init__(
        self,
        message: str,
        *,
        line: Optional[int] = None,
        column: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset


class IngestError(ParquetryError):
    """An input file that could not be ingested; nothing of that file was committed.

    ``file`` names the input; for a malformed line, ``line`` and ``column`` (1-based) point
    at it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: Union[str, "os.PathLike[str]", None] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = os.fspath(file) if file is not None else None
        self.line = line
        self.column = column


class StoreError(ParquetryError, OSError):
    """The store folder could not be opened, read or written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
