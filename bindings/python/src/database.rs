//! `Database`: one store opened from Python, with ingest, PromQL, SQL and series listing.
//!
//! Every call that reads or writes data runs through [`interrupt::run`]: without the GIL,
//! and stopped by Ctrl-C. Times and durations arrive as integer milliseconds; the Python
//! package converts what users type.

use crate::arrow_table::ArrowTable;
use crate::errors::to_py;
use crate::interrupt;
use crate::promql_result::PromqlResult;
use parquetry::promql::eval::{EvalOptions, StepGrid};
use parquetry::result_arrow::series_table;
use parquetry::store::{Format, IngestOptions, IngestReport};
use parquetry::{Engine, Error, QueryOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// A store folder and the snapshot of it that queries read.
#[pyclass(frozen, module = "parquetry._native")]
pub struct Database {
    path: PathBuf,
    engine: RwLock<Arc<Engine>>,
}

impl Database {
    /// The current snapshot.
    fn engine(&self) -> Arc<Engine> {
        self.engine.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Re-reads the store to see commits made since the snapshot.
    fn reopen(&self) -> PyResult<()> {
        let fresh = Engine::open(&self.path).map_err(to_py)?;
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(())
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

/// Registers a user file as a SQL table: Parquet (a file or a folder of them) or CSV with
/// a header line, told apart by the extension.
fn register(ctx: &parquetry::sql::SqlContext, name: &str, path: &Path) -> Result<(), String> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let result = match ext.as_deref() {
        Some("csv") => ctx.register_csv(name, &shown),
        Some("parquet") | Some("pq") => ctx.register_parquet(name, &shown),
        _ if path.is_dir() => ctx.register_parquet(name, &shown),
        _ => {
            return Err(format!(
                "table {name:?}: {shown} is neither .parquet, .csv nor a folder of Parquet files"
            ));
        }
    };
    result.map_err(|e| format!("table {name:?}: {e}"))
}

#[pymethods]
impl Database {
    /// Opens the store in `path`; with `create`, an empty store is made there first if the
    /// folder holds none.
    #[new]
    #[pyo3(signature = (path, create = true))]
    fn new(path: PathBuf, create: bool) -> PyResult<Database> {
        let engine = if create {
            Engine::create(&path)
        } else {
            Engine::open(&path)
        }
        .map_err(to_py)?;
        Ok(Database {
            path,
            engine: RwLock::new(Arc::new(engine)),
        })
    }

    /// The store folder.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Re-reads the store to see commits made by other processes.
    fn refresh(&self) -> PyResult<()> {
        self.reopen()
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
            Engine::ingest(&self.path, &paths, &options, &mut |_| {})
        })?
        .map_err(to_py);
        // Files committed before a failure are in the store either way.
        self.reopen()?;
        report_dict(py, &report?)
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
            let ctx = engine.sql_context().map_err(to_py)?;
            for (name, path) in tables.iter().flatten() {
                register(&ctx, name, path).map_err(PyValueError::new_err)?;
            }
            ctx.sql_with_cancel(query, cancel)
                .map_err(|e| to_py(Error::Sql(e)))
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
    /// (the last two `None` for an empty store).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let engine = self.engine();
        let store = engine.store();
        let (files, bytes) = store.size();
        let series = store.all_series();
        let d = PyDict::new(py);
        d.set_item("series", series.len())?;
        d.set_item("files", files)?;
        d.set_item("bytes", bytes)?;
        d.set_item("min_time_ms", series.iter().map(|s| s.min_time).min())?;
        d.set_item("max_time_ms", series.iter().map(|s| s.max_time).max())?;
        Ok(d)
    }
}
