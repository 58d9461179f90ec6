//! SQL over the Parquetry store through DataFusion, with PromQL callable from SQL.
//!
//! A [`SqlContext`] registers:
//!
//! * `samples` — `timestamp`, `value`, `metric`, `labels` (a `map<string, string>` without
//!   `__name__`) and `series_id`, one row per sample. Conditions on `timestamp`, `metric`
//!   (`=`, `!=`, `IN`) and `labels['name'] = 'value'` are applied by the store, so a query
//!   for one metric over one hour reads only those rows, and DataFusion does not check them
//!   again. A `labels['name']` the query reads is produced by the scan as a string column,
//!   one value per series, without building the map.
//! * `series` — `series_id`, `metric`, `labels`, `min_time`, `max_time`, one row per series.
//! * `logs` (when registered with [`SqlContext::register_logs`]) — `timestamp` (ns),
//!   `line`, `labels`, `stream_id`, `structured_metadata`, `trace_id`, `span_id`,
//!   `severity`, `severity_number`, one row per log entry. Time ranges, label equality,
//!   `trace_id = …` and line substrings (`contains(line, …)`, `line LIKE '%…%'`,
//!   `strpos(line, …) > 0`) are applied by the store, which skips row groups whose line
//!   filters rule them out.
//! * `promql_range(expr, start, end, step)` and `promql_instant(expr, time)` — PromQL results
//!   as tables: `timestamp`, `value`, `metric`, `labels`, and one column per label name.
//! * with `logs`, `logql_range(query, start, end, step)`, `logql_instant(query, time)` and
//!   `logql_logs(query, start, end [, limit [, direction]])` — LogQL results as tables
//!   (see [`logql_functions`]).
//!
//! Users add their own Parquet and CSV files beside them ([`SqlContext::register_parquet`],
//! [`SqlContext::register_csv`], or `CREATE EXTERNAL TABLE`). This is the only crate of the
//! workspace that depends on DataFusion. More built-in tables (spans) register the same
//! way, each its own provider, without changing these.

pub mod format;
pub mod logql_functions;
mod logs_table;
mod partitioned_scan;
mod promql_functions;
mod pushdown;
mod runs;
mod sample_columns;
mod samples_scan;
mod samples_table;
pub mod schema;
mod series_table;
mod spans_narrowing;
mod spans_table;
#[cfg(test)]
mod test_support;
mod traceql_function;
mod utc_date_trunc;

pub use datafusion::arrow::array::RecordBatch;
pub use logs_table::LogsTable;
pub use promql_functions::PromqlEval;
pub use samples_table::SamplesTable;
pub use spans_table::SpansTable;

use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionContext;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig};
use futures::future::{Either, select};
use logql_functions::LogqlFunction;
use parquetry_model::Cancel;
use parquetry_store::{Store, StoreError};
use promql_functions::PromqlFunction;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, LazyLock};

/// Why a SQL statement failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The statement does not parse, plan or run: DataFusion's innermost message.
    #[error("{0}")]
    Query(String),
    /// The store could not be read during the query (a missing or corrupt file).
    #[error(transparent)]
    Store(StoreError),
    /// The query was cancelled before it finished.
    #[error("query cancelled")]
    Cancelled,
}

impl From<DataFusionError> for SqlError {
    fn from(e: DataFusionError) -> SqlError {
        match take_store_error(e) {
            Ok(store) => SqlError::Store(store),
            // DataFusion wraps errors of table providers; show the innermost message.
            Err(e) => SqlError::Query(e.find_root().to_string()),
        }
    }
}

/// The store error at the root of `e`, if that is what stopped the query.
fn take_store_error(e: DataFusionError) -> Result<StoreError, DataFusionError> {
    use datafusion::arrow::error::ArrowError;
    match e {
        DataFusionError::External(inner) => match inner.downcast::<StoreError>() {
            Ok(store) => Ok(*store),
            Err(inner) => match inner.downcast::<DataFusionError>() {
                Ok(df) => take_store_error(*df),
                Err(inner) => Err(DataFusionError::External(inner)),
            },
        },
        DataFusionError::Context(context, inner) => {
            take_store_error(*inner).map_err(|e| DataFusionError::Context(context, Box::new(e)))
        }
        DataFusionError::ArrowError(arrow, backtrace) => match *arrow {
            ArrowError::ExternalError(inner) => {
                take_store_error(DataFusionError::External(inner)).map_err(|e| match e {
                    DataFusionError::External(inner) => {
                        DataFusionError::ArrowError(Box::new(ArrowError::ExternalError(inner)), backtrace)
                    }
                    other => other,
                })
            }
            other => Err(DataFusionError::ArrowError(Box::new(other), backtrace)),
        },
        DataFusionError::Shared(shared) => match Arc::try_unwrap(shared) {
            Ok(owned) => take_store_error(owned),
            Err(shared) => Err(DataFusionError::Shared(shared)),
        },
        other => Err(other),
    }
}

/// The runtime that blocking calls run their statements on.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .thread_name("parquetry-sql")
        .enable_all()
        .build()
        .expect("the SQL runtime starts")
});

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `work` on the shared SQL runtime and waits for it: the blocking form of the async
/// methods, usable from any thread (inside another async runtime too, where it blocks that
/// thread rather than the runtime's scheduler).
fn block_on<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    RUNTIME.spawn(async move {
        let _ = tx.send(work.await);
    });
    rx.recv().expect("SQL statements run to completion")
}

/// A SQL session over one store snapshot. Cheap to clone; clones share the session.
#[derive(Clone)]
pub struct SqlContext {
    ctx: SessionContext,
}

impl SqlContext {
    /// A session with `samples`, `series` and the PromQL table functions registered;
    /// `promql` evaluates PromQL over the same store.
    pub fn new(store: Arc<Store>, promql: PromqlEval) -> Result<SqlContext, SqlError> {
        let config = SessionConfig::new()
            .with_target_partitions(threads())
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_table("samples", Arc::new(SamplesTable::new(store.clone())))?;
        ctx.register_table("series", Arc::new(series_table::series_table(&store)?))?;
        ctx.register_udf(utc_date_trunc::UtcDateTrunc::udf());
        ctx.register_udtf("promql_range", Arc::new(PromqlFunction::range(promql.clone())));
        ctx.register_udtf("promql_instant", Arc::new(PromqlFunction::instant(promql)));
        Ok(SqlContext { ctx })
    }

    /// Registers the file (or folder) at `path` as table `name`, by its kind: a `.csv`
    /// file with a header line, or Parquet (a `.parquet`/`.pq` file or a folder of them).
    pub async fn register_file_async(&self, name: &str, path: &Path) -> Result<(), SqlError> {
        let shown = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let registered = match ext.as_deref() {
            Some("csv") => {
                self.ctx
                    .register_csv(name, &shown, CsvReadOptions::new().has_header(true))
                    .await
            }
            Some("parquet" | "pq") => {
                self.ctx
                    .register_parquet(name, &shown, ParquetReadOptions::default())
                    .await
            }
            _ if path.is_dir() => {
                self.ctx
                    .register_parquet(name, &shown, ParquetReadOptions::default())
                    .await
            }
            _ => {
                return Err(SqlError::Query(format!(
                    "table {name:?}: {shown} is neither a .parquet or .csv file nor a folder of Parquet files"
                )));
            }
        };
        registered.map_err(|e| match SqlError::from(e) {
            SqlError::Query(m) => SqlError::Query(format!("table {name:?}: {m}")),
            other => other,
        })
    }

    /// Registers the `logs` table over `logs` (the same snapshot's logs table), and the
    /// LogQL table functions `logql_range`, `logql_instant` and `logql_logs` over it.
    pub fn register_logs(&self, logs: Arc<parquetry_logs::LogStore>) -> Result<(), SqlError> {
        self.ctx
            .register_table("logs", Arc::new(LogsTable::new(logs.clone())))?;
        self.ctx
            .register_udtf("logql_range", Arc::new(LogqlFunction::range(logs.clone())));
        self.ctx
            .register_udtf("logql_instant", Arc::new(LogqlFunction::instant(logs.clone())));
        self.ctx
            .register_udtf("logql_logs", Arc::new(LogqlFunction::logs(logs)));
        Ok(())
    }

    /// Registers the `spans` table over `spans` and the `traceql(query, start, end [,
    /// step])` table function.
    pub fn register_spans(&self, spans: Arc<parquetry_spans::SpanStore>) -> Result<(), SqlError> {
        self.ctx
            .register_table("spans", Arc::new(SpansTable::new(spans.clone())))?;
        self.ctx
            .register_udtf("traceql", Arc::new(traceql_function::TraceqlFunction::new(spans)));
        Ok(())
    }

    /// [`SqlContext::register_file_async`], waiting for it.
    pub fn register_file(&self, name: &str, path: &Path) -> Result<(), SqlError> {
        let (this, name, path) = (self.clone(), name.to_string(), path.to_path_buf());
        block_on(async move { this.register_file_async(&name, &path).await })
    }

    /// Runs one SQL statement and returns its result, or stops with
    /// [`SqlError::Cancelled`] as soon as `cancel` is cancelled (its running scans are
    /// dropped). Dropping the future stops the statement too.
    pub async fn sql_async(&self, query: &str, cancel: &Cancel) -> Result<Vec<RecordBatch>, SqlError> {
        let work = Box::pin(async {
            let df = self.ctx.sql(query).await?;
            Ok(df.collect().await?)
        });
        match select(work, cancel.cancelled()).await {
            Either::Left((result, _)) => result,
            Either::Right(((), _)) => Err(SqlError::Cancelled),
        }
    }

    /// Runs one SQL statement and returns its result.
    pub fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, SqlError> {
        self.sql_with_cancel(query, &Cancel::new())
    }

    /// [`SqlContext::sql_async`], waiting for it.
    pub fn sql_with_cancel(&self, query: &str, cancel: &Cancel) -> Result<Vec<RecordBatch>, SqlError> {
        let (this, query, cancel) = (self.clone(), query.to_string(), cancel.clone());
        block_on(async move { this.sql_async(&query, &cancel).await })
    }

    /// The DataFusion session, for registering more tables or functions.
    pub fn session(&self) -> &SessionContext {
        &self.ctx
    }
}

#[cfg(test)]
mod tests;
