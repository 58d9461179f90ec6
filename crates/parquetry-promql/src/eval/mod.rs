//! Evaluation of PromQL over any [`SeriesSource`], with Prometheus 3 semantics for float
//! samples.
//!
//! An expression is evaluated over all steps of a [`StepGrid`] at once: instant vectors
//! are series × steps, range functions slide a two-pointer window over each series' raw
//! samples, aggregations fold series into groups step by step.

mod aggregate;
pub mod annotations;
pub mod api_json;
mod binary;
mod evaluator;
pub mod functions;
mod fused;
pub mod gomath;
pub mod grid;
pub mod kahan;
pub mod lookback;
mod member_select;
#[cfg(test)]
mod memory_source;
pub mod point_texts;
pub mod query_stats;
mod rank_heap;
mod result;
mod selectors;
mod step_cells;
pub mod value;

pub use evaluator::evaluate;
pub use grid::StepGrid;
pub use query_stats::QueryStats;
pub use result::{QueryResult, RUN_POINTS, ResultSeries, emit_in_order, point_runs};
pub use value::{RawSeries, StepSeries, Value};

use parquetry_model::{Cancel, Matcher};
use std::time::Instant;

/// Where the evaluator reads raw samples from.
pub trait SeriesSource: Sync {
    /// The raw samples in `[min_time, max_time]` of every series the matchers select, each
    /// sorted by time and stale markers included, handed to `each` a batch at a time, so
    /// that a caller reducing each batch (to values per step) never holds all raw samples
    /// at once.
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError>;

    /// Those series handed to `each` a batch at a time, with the batch's number (0, 1, …
    /// in the source's order, so that a caller can put what it made of the batches back in
    /// that order). A source may call `each` on several threads at once, so that reading
    /// one batch overlaps reducing another; the default calls it in turn. Returns how many
    /// batches there were.
    fn for_each_batch(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &(dyn Fn(usize, Vec<RawSeries>) -> Result<(), EvalError> + Sync),
    ) -> Result<usize, EvalError> {
        let mut n = 0;
        self.select_batches(matchers, min_time, max_time, &mut |batch| {
            each(n, batch)?;
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// All those series at once.
    fn select(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
    ) -> Result<Vec<RawSeries>, EvalError> {
        let mut out = Vec::new();
        self.select_batches(matchers, min_time, max_time, &mut |batch| {
            out.extend(batch);
            Ok(())
        })?;
        Ok(out)
    }
}

/// Settings of one query.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// How far back a plain selector looks for a sample (default 5 minutes).
    pub lookback_ms: i64,
    /// Resolution of subqueries written without a step (default 1 minute).
    pub default_subquery_step_ms: i64,
    /// Most raw samples a query may load; more is an error, not an exhausted machine.
    pub max_samples: usize,
    /// Most points (series × steps) a query may hold in any one intermediate result.
    pub max_points: usize,
    /// When to give up.
    pub deadline: Option<Instant>,
    /// Stops the query when cancelled (checked where the deadline is).
    pub cancel: Cancel,
    /// `x / 0` is NaN instead of ±Inf, as in LogQL.
    pub division_by_zero_is_nan: bool,
    /// Where the evaluation puts its warnings and infos (shared by clones).
    pub annotations: annotations::Annotations,
    /// Where the evaluation counts what it read and held (shared by clones).
    pub stats: QueryStats,
    /// Evaluate `sum|avg|count|group|min|max by (…) (range_function(selector[range]))`
    /// by folding each series' window values straight into its group (default); off, the
    /// range function's series are built first and then aggregated, as for any other
    /// argument. Both give the same answer.
    pub fuse_aggregations: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            lookback_ms: lookback::DEFAULT_LOOKBACK_MS,
            default_subquery_step_ms: 60_000,
            max_samples: 50_000_000,
            max_points: 50_000_000,
            deadline: None,
            cancel: Cancel::default(),
            division_by_zero_is_nan: false,
            annotations: annotations::Annotations::default(),
            stats: QueryStats::default(),
            fuse_aggregations: true,
        }
    }
}

/// Why a query could not be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The data could not be read.
    #[error("storage: {0}")]
    Storage(String),
    /// The query would load more raw samples than [`EvalOptions::max_samples`] (the
    /// message is Prometheus').
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// A range query's expression is a range vector or a string, which Prometheus
    /// refuses before evaluating anything (the field names the type).
    #[error("invalid expression type {0:?} for range query, must be Scalar or instant Vector")]
    RangeQueryType(String),
    /// Another limit of [`EvalOptions`] was reached.
    #[error("query limit exceeded: {0}")]
    Limit(String),
    /// The deadline passed.
    #[error("query timed out")]
    Timeout,
    /// The caller cancelled the query.
    #[error("query cancelled")]
    Cancelled,
    /// The query is valid PromQL but cannot be evaluated on this data (duplicate label
    /// sets, many-to-many matching, invalid arguments, …).
    #[error("{0}")]
    Execution(String),
    /// One side of a one-to-one or one-to-many match holds two series of one match group.
    #[error(
        "found duplicate series for the match group {group} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
        series[0],
        series[1]
    )]
    DuplicateSeries {
        /// The match group's labels, `{a="b"}`.
        group: String,
        /// `left` or `right`.
        side: &'static str,
        /// Two series of the group, `{…}`, in order.
        series: [String; 2],
    },
}

#[cfg(test)]
mod tests;
