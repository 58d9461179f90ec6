//! SQL over the Parquetry store through DataFusion, with PromQL callable from SQL.
//!
//! A [`SqlContext`] registers:
//!
//! * `samples` — `timestamp`, `value`, `metric`, `labels` (a `map<string, string>` without
//!   `__name__`) and `series_id`, one row per sample. Conditions on `timestamp`, `metric`
//!   (`=`, `!=`, `IN`) and `labels['name'] = 'value'` are applied by the store, so a query
//!   for one metric over one hour reads only those rows.
//! * `series` — `series_id`, `metric`, `labels`, `min_time`, `max_time`, one row per series.
//! * `promql_range(expr, start, end, step)` and `promql_instant(expr, time)` — PromQL results
//!   as tables: `timestamp`, `value`, `metric`, `labels`, and one column per label name.
//!
//! Users add their own Parquet and CSV files beside them ([`SqlContext::register_parquet`],
//! [`SqlContext::register_csv`], or `CREATE EXTERNAL TABLE`). This is the only crate of the
//! workspace that depends on DataFusion. More built-in tables (logs, spans) register the
//! same way, each its own provider, without changing these.

pub mod format;
mod promql_functions;
mod pushdown;
mod runs;
mod samples_table;
pub mod schema;
mod series_table;
mod utc_date_trunc;

pub use datafusion::arrow::array::RecordBatch;
pub use promql_functions::PromqlEval;
pub use samples_table::SamplesTable;

use datafusion::execution::context::SessionContext;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig};
use futures::future::{Either, select};
use parquetry_model::Cancel;
use parquetry_store::Store;
use promql_functions::PromqlFunction;
use std::sync::Arc;

/// Why a SQL statement failed: parse, planning and execution errors, with DataFusion's
/// message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SqlError(String);

impl From<datafusion::error::DataFusionError> for SqlError {
    fn from(e: datafusion::error::DataFusionError) -> SqlError {
        // DataFusion wraps errors of table providers; show the innermost message.
        SqlError(e.find_root().to_string())
    }
}

/// A SQL session over one store snapshot.
pub struct SqlContext {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
}

impl SqlContext {
    /// A session with `samples`, `series` and the PromQL table functions registered;
    /// `promql` evaluates PromQL over the same store.
    pub fn new(store: Arc<Store>, promql: PromqlEval) -> Result<SqlContext, SqlError> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("parquetry-sql")
            .build()
            .map_err(|e| SqlError(format!("starting the query runtime: {e}")))?;
        let config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_table("samples", Arc::new(SamplesTable::new(store.clone())))?;
        ctx.register_table("series", Arc::new(series_table::series_table(&store)?))?;
        ctx.register_udf(utc_date_trunc::UtcDateTrunc::udf());
        ctx.register_udtf("promql_range", Arc::new(PromqlFunction::range(promql.clone())));
        ctx.register_udtf("promql_instant", Arc::new(PromqlFunction::instant(promql)));
        Ok(SqlContext { ctx, runtime })
    }

    /// Registers a Parquet file (or a folder of them) as table `name`.
    pub fn register_parquet(&self, name: &str, path: &str) -> Result<(), SqlError> {
        let f = self
            .ctx
            .register_parquet(name, path, ParquetReadOptions::default());
        Ok(self.runtime.block_on(f)?)
    }

    /// Registers a CSV file with a header line as table `name`.
    pub fn register_csv(&self, name: &str, path: &str) -> Result<(), SqlError> {
        let f = self
            .ctx
            .register_csv(name, path, CsvReadOptions::new().has_header(true));
        Ok(self.runtime.block_on(f)?)
    }

    /// Runs one SQL statement and returns its result.
    pub fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, SqlError> {
        self.sql_with_cancel(query, &Cancel::new())
    }

    /// Runs one SQL statement and returns its result, or stops with a "query cancelled"
    /// error as soon as `cancel` is cancelled (its running scans are dropped).
    pub fn sql_with_cancel(&self, query: &str, cancel: &Cancel) -> Result<Vec<RecordBatch>, SqlError> {
        self.runtime.block_on(async {
            let work = Box::pin(async {
                let df = self.ctx.sql(query).await?;
                Ok(df.collect().await?)
            });
            match select(work, cancel.cancelled()).await {
                Either::Left((result, _)) => result,
                Either::Right(((), _)) => Err(SqlError("query cancelled".to_string())),
            }
        })
    }

    /// The DataFusion session, for registering more tables or functions.
    pub fn session(&self) -> &SessionContext {
        &self.ctx
    }
}

#[cfg(test)]
mod tests;
