"""Parquetry: PromQL, LogQL and SQL over telemetry archived in Parquet, from Python.

>>> import parquetry
>>> db = parquetry.open("metrics-store")                      # doctest: +SKIP
>>> db.ingest("scrape.om")                                     # doctest: +SKIP
>>> r = db.promql('sum by (job) (rate(http_requests_total[5m]))', start="now-6h", end="now", step="1m")  # doctest: +SKIP
>>> r.to_pandas(wide=True).plot()                              # doctest: +SKIP

Results implement the Arrow PyCapsule interface, so ``pyarrow.table(r)`` and
``polars.DataFrame(r)`` take them without copying.
"""

from ._native import __version__
from .database import Database, IngestReport, LogIngestReport, SpanIngestReport, open
from .demo import generate_demo
from .errors import IngestError, ParquetryError, QueryError, StoreError
from .result import LogLines, QueryResult
from .table import Table
from .traces import Trace, TraceSearch

__all__ = [
    "Database",
    "IngestError",
    "IngestReport",
    "LogIngestReport",
    "SpanIngestReport",
    "LogLines",
    "ParquetryError",
    "QueryError",
    "QueryResult",
    "StoreError",
    "Table",
    "Trace",
    "TraceSearch",
    "__version__",
    "generate_demo",
    "open",
]
