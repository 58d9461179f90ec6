//! SQL over the store (the `sql` feature, on by default).

use crate::source::StoreSource;
use crate::{Engine, Error};
use parquetry_promql::eval::{EvalOptions, evaluate};
use parquetry_promql::{ParseOptions, parse_with};
use parquetry_sql::{PromqlEval, RecordBatch, SqlContext};
use std::sync::Arc;

impl Engine {
    /// A SQL session over this snapshot: the `samples` and `series` tables and the
    /// `promql_range`/`promql_instant` table functions, to which more tables (Parquet, CSV)
    /// can be added. See [`parquetry_sql`].
    pub fn sql_context(&self) -> Result<SqlContext, Error> {
        let store = self.shared_store();
        let promql: PromqlEval = Arc::new(move |expr, grid, instant| {
            let parsed = parse_with(expr, ParseOptions::default()).map_err(|e| e.to_string())?;
            evaluate(
                &parsed,
                &StoreSource(&store),
                grid,
                instant,
                &EvalOptions::default(),
            )
            .map_err(|e| e.to_string())
        });
        Ok(SqlContext::new(self.shared_store(), promql)?)
    }

    /// Runs one SQL statement in a fresh session and returns the rows as Arrow batches.
    pub fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, Error> {
        Ok(self.sql_context()?.sql(query)?)
    }
}
