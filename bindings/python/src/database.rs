//! `Database`: one store opened from Python, with ingest, PromQL, SQL and series listing.
//!
//! Every call that reads or writes data runs through [`interrupt::run`]: without the GIL,
//! and stopped by Ctrl-C. Times and durations arrive as integer milliseconds; the Python
//! package converts what users type.

use crate::arrow_table::ArrowTable;
use crate::errors::to_py;
use crate::interrupt;
use crate::promql_result::PromqlResult;
use crate::traces;
use parquetry::logql::{Direction, Grid, QueryOutput, QueryParams as LogqlParams};
use parquetry::logs::ingest::plain::TimeSource;
use parquetry::logs::ingest::{LogFormat, LogIngestOptions};
use parquetry::maintenance::MaintenanceReport;
use parquetry::promql::eval::{EvalOptions, StepGrid};
use parquetry::result_arrow::series_table;
use parquetry::spans::ingest::SpanIngestOptions;
use parquetry::sql::logql_functions::streams_batch;
use parquetry::store::{Format, IngestOptions, IngestReport};
use parquetry::traceql::eval::{MetricsParams, SearchParams};
use parquetry::{Engine, Error, QueryOptions, Signal};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A store (a folder or an object-store URL) and the snapshot of it that queries read.
#[pyclass(frozen, module = "parquetry._native")]
pub struct Database {
    db: parquetry::Database,
}

impl Database {
    /// The current snapshot.
    fn engine(&self) -> Arc<Engine> {
        self.db.snapshot()
    }

    /// Evaluates `query` with `params`, `limit` and `direction`, and wraps the answer.
    fn logql(
        &self,
        py: Python<'_>,
        query: &str,
        mut params: LogqlParams,
        limit: usize,
        direction: &str,
    ) -> PyResult<Py<PyAny>> {
        if limit == 0 {
            return Err(PyValueError::new_err("limit must be positive"));
        }
        params.limit = limit;
        params.direction = direction.parse::<Direction>().map_err(PyValueError::new_err)?;
        let engine = self.engine();
        let answer = interrupt::run(py, |_| engine.logql(query, &params).map_err(to_py))??;
        match answer.output {
            QueryOutput::Streams(streams) => {
                let batch = streams_batch(&streams, params.direction)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                Ok(Py::new(py, ArrowTable::from_batch(batch))?.into_any())
            }
            QueryOutput::Metric(m) => {
                let result = PromqlResult::new(m.into_promql(), !params.instant);
                Ok(Py::new(py, result)?.into_any())
            }
        }
    }
}

fn query_options(lookback_ms: Option<i64>, cancel: &parquetry::model::Cancel) -> PyResult<QueryOptions> {
    let mut eval = EvalOptions {
        cancel: cancel.clone(),
        ..EvalOptions::default()
    };
    if let Some(ms) = lookback_ms {
        if ms <= 0 {
            return Err(PyValueError::new_err("lookback must be positive"));
        }
        eval.lookback_ms = ms;
    }
    Ok(QueryOptions {
        eval,
        ..QueryOptions::default()
    })
}

fn report_dict<'py>(py: Python<'py>, r: &IngestReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("files", r.files)?;
    d.set_item("series", r.series)?;
    d.set_item("samples", r.samples)?;
    d.set_item("duplicates", r.duplicates.exact)?;
    d.set_item("conflicting_duplicates", r.duplicates.conflicting)?;
    d.set_item("skipped_lines", r.skipped_lines)?;
    let skipped: Vec<String> = r.first_skipped.iter().map(ToString::to_string).collect();
    d.set_item("first_skipped", skipped)?;
    d.set_item("bytes_read", r.bytes_read)?;
    d.set_item("bytes_written", r.bytes_written)?;
    d.set_item("seconds", r.elapsed.as_secs_f64())?;
    Ok(d)
}

#[pymethods]
impl Database {
    /// Opens the store in `path`; with `create`, an empty store is made there first if the
    /// folder holds none.
    #[new]
    #[pyo3(signature = (path, create = true))]
    fn new(path: PathBuf, create: bool) -> PyResult<Database> {
        let db = if create {
            parquetry::Database::create(&path)
        } else {
            parquetry::Database::open(&path)
        }
        .map_err(to_py)?;
        Ok(Database { db })
    }

    /// The store folder (or URL).
    #[getter]
    fn path(&self) -> PathBuf {
        self.db.location().to_path_buf()
    }

    /// Re-reads the store to see commits made by other processes.
    fn refresh(&self) -> PyResult<()> {
        self.db.refresh().map(|_| ()).map_err(to_py)
    }

    /// Compacts every table (one file per table and day), then deletes files unnamed for
    /// `grace_ms`; returns what it did as a dict.
    fn compact<'py>(&self, py: Python<'py>, grace_ms: u64) -> PyResult<Bound<'py, PyDict>> {
        let report = py
            .detach(|| self.db.compact(Duration::from_millis(grace_ms)))
            .map_err(to_py)?;
        maintenance_dict(py, &report)
    }

    /// Drops the days of every table that end at or before `keep_from_ms`, compacting
    /// what is kept, then deletes files unnamed for `grace_ms`; returns what it did.
    fn retain<'py>(&self, py: Python<'py>, keep_from_ms: i64, grace_ms: u64) -> PyResult<Bound<'py, PyDict>> {
        let report = py
            .detach(|| self.db.retain(keep_from_ms, Duration::from_millis(grace_ms)))
            .map_err(to_py)?;
        maintenance_dict(py, &report)
    }

    /// Ingests `paths`, one commit per file, and returns the report as a dict. `format`
    /// is `openmetrics`, `prometheus`, `jsonl` or `csv` (detected per file when `None`).
    #[pyo3(signature = (paths, format = None, skip_invalid = false))]
    fn ingest<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        format: Option<String>,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let format = match format.as_deref() {
            None => None,
            Some(name) => Some(Format::from_name(name).map_err(PyValueError::new_err)?),
        };
        let report = interrupt::run(py, |cancel| {
            let options = IngestOptions {
                format,
                skip_invalid,
                cancel: cancel.clone(),
                ..IngestOptions::default()
            };
            // Refreshes the snapshot: files committed before a failure are in it too.
            self.db.ingest(&paths, &options, &mut |_| {})
        })?
        .map_err(to_py)?;
        report_dict(py, &report)
    }

    /// Ingests log `paths`, one commit per file, and returns the report as a dict.
    /// `format` is `loki-push`, `otlp-json`, `json`, `logfmt`, `text` or `jsonl`
    /// (detected per file when `None`); `labels` are the stream labels of plain files;
    /// `multiline` lets a text line without a time continue the entry before it.
    #[pyo3(signature = (paths, format = None, skip_invalid = false, labels = None, timestamp_regex = None, timestamp_format = None, service_name = false, detected_level = false, multiline = false))]
    #[allow(clippy::too_many_arguments)]
    fn ingest_logs<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        format: Option<String>,
        skip_invalid: bool,
        labels: Option<BTreeMap<String, String>>,
        timestamp_regex: Option<String>,
        timestamp_format: Option<String>,
        service_name: bool,
        detected_level: bool,
        multiline: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let format = match format.as_deref() {
            None => None,
            Some(name) => Some(LogFormat::from_name(name).map_err(PyValueError::new_err)?),
        };
        let time =
            TimeSource::new(timestamp_regex.as_deref(), timestamp_format).map_err(PyValueError::new_err)?;
        let report = interrupt::run(py, |cancel| {
            let options = LogIngestOptions {
                format,
                labels: labels.unwrap_or_default().into_iter().collect(),
                time,
                skip_invalid,
                service_name,
                detected_level,
                multiline,
                cancel: cancel.clone(),
                ..LogIngestOptions::default()
            };
            self.db.ingest_logs(&paths, &options, &mut |_| {})
        })?
        .map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("files", report.files)?;
        d.set_item("streams", report.streams)?;
        d.set_item("entries", report.entries)?;
        d.set_item("line_bytes", report.line_bytes)?;
        d.set_item("duplicates", report.duplicates)?;
        d.set_item("skipped_lines", report.skipped_lines)?;
        let skipped: Vec<String> = report.first_skipped.iter().map(ToString::to_string).collect();
        d.set_item("first_skipped", skipped)?;
        d.set_item("bytes_read", report.bytes_read)?;
        d.set_item("bytes_written", report.bytes_written)?;
        d.set_item("seconds", report.elapsed.as_secs_f64())?;
        Ok(d)
    }

    /// Ingests span `paths` (OTLP/JSON traces, one `TracesData` per line), one commit
    /// per file, and returns the report as a dict.
    #[pyo3(signature = (paths, skip_invalid = false))]
    fn ingest_spans<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let report = interrupt::run(py, |cancel| {
            let options = SpanIngestOptions {
                skip_invalid,
                cancel: cancel.clone(),
                ..SpanIngestOptions::default()
            };
            self.db.ingest_spans(&paths, &options, &mut |_| {})
        })?
        .map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("files", report.files)?;
        d.set_item("spans", report.spans)?;
        d.set_item("traces", report.traces)?;
        d.set_item("duplicates", report.duplicates)?;
        d.set_item("skipped_lines", report.skipped_lines)?;
        let skipped: Vec<String> = report.first_skipped.iter().map(ToString::to_string).collect();
        d.set_item("first_skipped", skipped)?;
        d.set_item("bytes_read", report.bytes_read)?;
        d.set_item("bytes_written", report.bytes_written)?;
        d.set_item("seconds", report.elapsed.as_secs_f64())?;
        Ok(d)
    }

    /// `"metrics"`, `"logs"` or `"spans"`: the signal the file at `path` holds, from its
    /// content.
    #[staticmethod]
    fn detect_signal(path: PathBuf) -> PyResult<&'static str> {
        Ok(match Signal::detect(&path).map_err(to_py)? {
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
            Signal::Spans => "spans",
        })
    }

    /// Evaluates `expr` at every step of `[start_ms, end_ms]`.
    #[pyo3(signature = (expr, start_ms, end_ms, step_ms, lookback_ms = None))]
    fn promql_range(
        &self,
        py: Python<'_>,
        expr: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
        lookback_ms: Option<i64>,
    ) -> PyResult<PromqlResult> {
        if step_ms <= 0 {
            return Err(PyValueError::new_err("step must be positive"));
        }
        if end_ms < start_ms {
            return Err(PyValueError::new_err("end is before start"));
        }
        let engine = self.engine();
        let grid = StepGrid {
            start: start_ms,
            end: end_ms,
            step: step_ms,
        };
        let result = interrupt::run(py, |cancel| {
            let options = query_options(lookback_ms, cancel)?;
            engine.query_range(expr, grid, &options).map_err(to_py)
        })??;
        Ok(PromqlResult::new(result, true))
    }

    /// Evaluates `expr` at `time_ms`.
    #[pyo3(signature = (expr, time_ms, lookback_ms = None))]
    fn promql_instant(
        &self,
        py: Python<'_>,
        expr: &str,
        time_ms: i64,
        lookback_ms: Option<i64>,
    ) -> PyResult<PromqlResult> {
        let engine = self.engine();
        let result = interrupt::run(py, |cancel| {
            let options = query_options(lookback_ms, cancel)?;
            engine.query_instant(expr, time_ms, &options).map_err(to_py)
        })??;
        Ok(PromqlResult::new(result, false))
    }

    /// Evaluates the LogQL `query` over `[start_ns, end_ns]`: a metric query at every
    /// `step_ns` (a `PromqlResult`), a log query's lines in `[start_ns, end_ns)` (an
    /// `ArrowTable` of lines).
    #[pyo3(signature = (query, start_ns, end_ns, step_ns, limit, direction, interval_ns))]
    #[allow(clippy::too_many_arguments)]
    fn logql_range(
        &self,
        py: Python<'_>,
        query: &str,
        start_ns: i64,
        end_ns: i64,
        step_ns: i64,
        limit: usize,
        direction: &str,
        interval_ns: i64,
    ) -> PyResult<Py<PyAny>> {
        if step_ns <= 0 {
            return Err(PyValueError::new_err("step must be positive"));
        }
        if end_ns < start_ns {
            return Err(PyValueError::new_err("end is before start"));
        }
        let mut params = LogqlParams::range(Grid {
            start: start_ns,
            end: end_ns,
            step: step_ns,
        });
        params.interval = interval_ns.max(0);
        self.logql(py, query, params, limit, direction)
    }

    /// Evaluates the LogQL `query` at `time_ns`: a metric query's vector or scalar (a
    /// `PromqlResult`), or a log query's lines in `[time − 30 s, time)`.
    #[pyo3(signature = (query, time_ns, limit, direction))]
    fn logql_instant(
        &self,
        py: Python<'_>,
        query: &str,
        time_ns: i64,
        limit: usize,
        direction: &str,
    ) -> PyResult<Py<PyAny>> {
        self.logql(py, query, LogqlParams::instant(time_ns), limit, direction)
    }

    /// `"metrics"` when the TraceQL `query` ends in a metrics function, else `"search"`;
    /// raises `QueryError` when it does not parse.
    #[staticmethod]
    fn traceql_kind(query: &str) -> PyResult<&'static str> {
        let parsed = parquetry::traceql::parse(query).map_err(|e| to_py(Error::Parse(e)))?;
        Ok(if parsed.metrics.is_some() {
            "metrics"
        } else {
            "search"
        })
    }

    /// The spans of trace `trace_id` as a table (empty when it is not stored).
    fn trace(&self, py: Python<'_>, trace_id: &str) -> PyResult<ArrowTable> {
        let engine = self.engine();
        let batch = interrupt::run(py, |_| traces::trace_table(&engine, trace_id))?.map_err(to_py)?;
        Ok(ArrowTable::from_batch(batch))
    }

    /// The log lines that carry trace `trace_id`, oldest first.
    fn trace_logs(&self, py: Python<'_>, trace_id: &str) -> PyResult<ArrowTable> {
        let engine = self.engine();
        let batch = interrupt::run(py, |_| traces::trace_logs(&engine, trace_id))?.map_err(to_py)?;
        Ok(ArrowTable::from_batch(batch))
    }

    /// Runs the TraceQL search `query` over the traces with a span starting in
    /// `[start_ns, end_ns)`; returns Tempo's search response as JSON text.
    #[pyo3(signature = (query, start_ns, end_ns, limit, spans_per_spanset))]
    fn traceql_search(
        &self,
        py: Python<'_>,
        query: &str,
        start_ns: i64,
        end_ns: i64,
        limit: usize,
        spans_per_spanset: usize,
    ) -> PyResult<String> {
        if limit == 0 || spans_per_spanset == 0 {
            return Err(PyValueError::new_err("limit and spss must be positive"));
        }
        let params = SearchParams {
            start_ns,
            end_ns,
            limit,
            spans_per_spanset,
        };
        let engine = self.engine();
        interrupt::run(py, |_| traces::traceql_search(&engine, query, &params))?.map_err(to_py)
    }

    /// Runs the TraceQL metrics `query` over `[start_ns, end_ns)` at every `step_ns`.
    #[pyo3(signature = (query, start_ns, end_ns, step_ns))]
    fn traceql_metrics(
        &self,
        py: Python<'_>,
        query: &str,
        start_ns: i64,
        end_ns: i64,
        step_ns: i64,
    ) -> PyResult<PromqlResult> {
        let params = MetricsParams {
            start_ns,
            end_ns,
            step_ns,
        };
        let engine = self.engine();
        let result =
            interrupt::run(py, |_| traces::traceql_metrics(&engine, query, &params))?.map_err(to_py)?;
        Ok(PromqlResult::new(result, true))
    }

    /// Runs one SQL statement over the store's tables and `tables` (name → Parquet or CSV
    /// path) and returns its rows.
    #[pyo3(signature = (query, tables = None))]
    fn sql(
        &self,
        py: Python<'_>,
        query: &str,
        tables: Option<BTreeMap<String, PathBuf>>,
    ) -> PyResult<ArrowTable> {
        let engine = self.engine();
        let batches = interrupt::run(py, |cancel| -> PyResult<_> {
            let options = query_options(None, cancel)?;
            let ctx = engine.sql_context_with(&options).map_err(to_py)?;
            for (name, path) in tables.iter().flatten() {
                ctx.register_file(name, path)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
            }
            ctx.sql_with_cancel(query, cancel)
                .map_err(|e| to_py(Error::from(e)))
        })??;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => Arc::new(parquetry::arrow::datatypes::Schema::empty()),
        };
        Ok(ArrowTable::new(schema, batches))
    }

    /// The series `selector` matches, a row each: their labels, first and last sample time.
    fn series(&self, py: Python<'_>, selector: &str) -> PyResult<ArrowTable> {
        let engine = self.engine();
        let batch = interrupt::run(py, |_| -> PyResult<_> {
            let series = engine.series(selector).map_err(to_py)?;
            series_table(&series).map_err(|e| PyValueError::new_err(e.to_string()))
        })??;
        Ok(ArrowTable::from_batch(batch))
    }

    /// What the snapshot holds: `series`, `files`, `bytes`, `min_time_ms`, `max_time_ms`
    /// (the last two `None` for an empty store), and the same of the logs (`log_*`) and
    /// spans (`spans`, `span_*`) tables.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.db.stats().map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("series", stats.series)?;
        d.set_item("files", stats.files)?;
        d.set_item("bytes", stats.bytes)?;
        d.set_item("min_time_ms", stats.time_range.map(|r| r.0))?;
        d.set_item("max_time_ms", stats.time_range.map(|r| r.1))?;
        let logs = &stats.logs;
        d.set_item("log_streams", logs.streams)?;
        d.set_item("log_entries", logs.entries)?;
        d.set_item("log_files", logs.files)?;
        d.set_item("log_bytes", logs.bytes)?;
        d.set_item("log_min_time_ms", logs.time_range.map(|r| r.0))?;
        d.set_item("log_max_time_ms", logs.time_range.map(|r| r.1))?;
        let spans = &stats.spans;
        d.set_item("spans", spans.spans)?;
        d.set_item("span_files", spans.files)?;
        d.set_item("span_bytes", spans.bytes)?;
        d.set_item("span_min_time_ms", spans.time_range.map(|r| r.0))?;
        d.set_item("span_max_time_ms", spans.time_range.map(|r| r.1))?;
        Ok(d)
    }
}

/// A compaction or retention report as the dict the Python layer reads.
fn maintenance_dict<'py>(py: Python<'py>, r: &MaintenanceReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("version", r.version)?;
    d.set_item("files_before", r.files.0)?;
    d.set_item("files_after", r.files.1)?;
    d.set_item("days_rewritten", r.days_rewritten)?;
    d.set_item("days_dropped", r.days_dropped)?;
    d.set_item("rows_rewritten", r.rows_rewritten)?;
    d.set_item("files_deleted", r.vacuumed.files)?;
    d.set_item("bytes_deleted", r.vacuumed.bytes)?;
    Ok(d)
}
