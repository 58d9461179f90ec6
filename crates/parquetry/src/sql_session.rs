//! SQL over the store (the `sql` feature, on by default).

use crate::source::StoreSource;
use crate::span_metrics_source::WithSpanMetrics;
use crate::{Engine, Error, QueryOptions};
use parquetry_promql::eval::evaluate;
use parquetry_promql::parse_with;
use parquetry_sql::{PromqlEval, RecordBatch, SqlContext};
use std::sync::Arc;

impl Engine {
    /// A SQL session over this snapshot: the `samples` and `series` tables and the
    /// `promql_range`/`promql_instant` table functions, to which more tables (Parquet, CSV)
    /// can be added. See [`parquetry_sql`].
    pub fn sql_context(&self) -> Result<SqlContext, Error> {
        self.sql_context_with(&QueryOptions::default())
    }

    /// [`Engine::sql_context`] whose PromQL table functions parse and evaluate with
    /// `options`: experimental syntax, lookback, limits, the deadline and cancellation
    /// of the caller.
    pub fn sql_context_with(&self, options: &QueryOptions) -> Result<SqlContext, Error> {
        let (store, spans) = (self.shared_store(), self.spans());
        let options = options.clone();
        let promql: PromqlEval = Arc::new(move |expr, grid, instant| {
            let parsed = parse_with(expr, options.parse).map_err(|e| e.to_string())?;
            let source = WithSpanMetrics {
                inner: StoreSource(&store),
                spans: &spans,
            };
            evaluate(&parsed, &source, grid, instant, &options.eval).map_err(|e| e.to_string())
        });
        let ctx = SqlContext::new(self.shared_store(), promql)?;
        ctx.register_logs(self.logs()?)?;
        ctx.register_spans(self.spans())?;
        Ok(ctx)
    }

    /// Runs one SQL statement in a fresh session and returns the rows as Arrow batches.
    pub fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, Error> {
        Ok(self.sql_context()?.sql(query)?)
    }

    /// Runs one SQL statement in a fresh session from async code, with `options` for the
    /// PromQL it calls and `options.eval.cancel` stopping the statement itself.
    pub async fn sql_async(&self, query: &str, options: &QueryOptions) -> Result<Vec<RecordBatch>, Error> {
        let ctx = self.sql_context_with(options)?;
        Ok(ctx.sql_async(query, &options.eval.cancel).await?)
    }
}
