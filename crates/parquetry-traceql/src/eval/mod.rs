//! Evaluating TraceQL over a [`SpanStore`]: [`search`] finds the spansets of each trace
//! and answers as Tempo's search API does; [`metrics`] turns the spans found into time
//! series, as Tempo's metrics queries do. Both read whole only the traces that meet the
//! query's [`needs`], and of their spans only the [`parts`] the query looks at.
//!
//! [`SpanStore`]: parquetry_spans::SpanStore

pub mod field;
pub mod metrics;
pub mod needs;
pub mod parts;
pub mod search;
pub mod spansets;
#[cfg(test)]
mod tests;
pub mod trace_view;
pub mod value;

use crate::syntax::ast::*;
use parquetry_model::Cancel;
use regex::Regex;
use rustc_hash::FxHashMap;

pub use metrics::{MetricsParams, MetricsResult, Series, run_metrics, run_metrics_until};
pub use search::{SearchParams, SearchResult, SpanMatch, SpansetMatch, TraceMatch, search, search_until};

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The query is not valid (a bad regular expression, a search given to the metrics
    /// evaluator, …).
    #[error("{0}")]
    Invalid(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] parquetry_table::error::StoreError),
    /// The caller cancelled the query (its request went away or timed out).
    #[error("query cancelled")]
    Cancelled,
}

/// `outcome`, or [`EvalError::Cancelled`] when `cancel` was cancelled during it (the
/// read then stopped with [`parquetry_table::error::StoreError::Cancelled`]).
fn unless_cancelled<T>(
    cancel: &Cancel,
    outcome: Result<T, parquetry_table::error::StoreError>,
) -> Result<T, EvalError> {
    if cancel.is_cancelled() {
        return Err(EvalError::Cancelled);
    }
    Ok(outcome?)
}

/// The regular expressions of a query, compiled once, by pattern.
pub type Regexes = FxHashMap<String, Regex>;

/// Every field expression written in `q` (in selectors, stages, aggregates and the
/// metrics function), outermost ones only.
pub fn top_fields(q: &Query) -> Vec<&FieldExpr> {
    let mut out = Vec::new();
    spanset_fields(&q.spansets, &mut out);
    if let Some(m) = &q.metrics {
        match &m.function {
            MetricsFunction::Rate | MetricsFunction::CountOverTime => {}
            MetricsFunction::MinOverTime(f)
            | MetricsFunction::MaxOverTime(f)
            | MetricsFunction::AvgOverTime(f)
            | MetricsFunction::SumOverTime(f)
            | MetricsFunction::HistogramOverTime(f)
            | MetricsFunction::QuantileOverTime(f, _) => out.push(f),
        }
        out.extend(&m.by);
    }
    out
}

fn spanset_fields<'q>(e: &'q SpansetExpr, out: &mut Vec<&'q FieldExpr>) {
    match e {
        SpansetExpr::Filter(f) => out.push(f),
        SpansetExpr::Binary(l, _, r) => {
            spanset_fields(l, out);
            spanset_fields(r, out);
        }
        SpansetExpr::Pipeline(first, stages) => {
            spanset_fields(first, out);
            for stage in stages {
                match stage {
                    Stage::Filter(f) => out.push(f),
                    Stage::By(fs) | Stage::Select(fs) => out.extend(fs),
                    Stage::Scalar(s) => {
                        scalar_fields(&s.lhs, out);
                        scalar_fields(&s.rhs, out);
                    }
                    Stage::Coalesce => {}
                }
            }
        }
    }
}

fn scalar_fields<'q>(e: &'q ScalarExpr, out: &mut Vec<&'q FieldExpr>) {
    match e {
        ScalarExpr::Static(_) => {}
        ScalarExpr::Aggregate(_, f) => out.extend(f),
        ScalarExpr::Binary(l, _, r) => {
            scalar_fields(l, out);
            scalar_fields(r, out);
        }
    }
}

/// Calls `each` on `e` and every expression inside it.
pub fn walk<'q>(e: &'q FieldExpr, each: &mut dyn FnMut(&'q FieldExpr)) {
    each(e);
    match e {
        FieldExpr::Binary(l, _, r) => {
            walk(l, each);
            walk(r, each);
        }
        FieldExpr::Not(x) | FieldExpr::Negate(x) => walk(x, each),
        FieldExpr::Static(_) | FieldExpr::Attribute(_) | FieldExpr::Intrinsic(_) => {}
    }
}

/// Compiles the regular expressions `q` matches against (the literal right sides of
/// `=~` and `!~`), or says which one is not valid.
pub fn compile_regexes(q: &Query) -> Result<Regexes, EvalError> {
    let mut regexes = Regexes::default();
    let mut error = None;
    for f in top_fields(q) {
        walk(f, &mut |e| {
            if let FieldExpr::Binary(_, BinaryOp::Match | BinaryOp::NotMatch, rhs) = e
                && let FieldExpr::Static(Static::String(p)) = &**rhs
                && !regexes.contains_key(p)
            {
                match value::anchored(p) {
                    Ok(re) => {
                        regexes.insert(p.clone(), re);
                    }
                    Err(e) => {
                        error.get_or_insert_with(|| {
                            EvalError::Invalid(format!("invalid regular expression {p:?}: {e}"))
                        });
                    }
                }
            }
        });
    }
    match error {
        Some(e) => Err(e),
        None => Ok(regexes),
    }
}

/// Traces handed to the worker threads at a time.
const TRACE_BATCH: usize = 2048;

/// Calls `each` with batches of whole traces that have a span starting in
/// `[start_ns, end_ns)`, so that a batch can be evaluated in parallel. Only traces that
/// meet `q`'s [`needs::trace_needs`] are read whole: the others cannot answer it; and
/// of their spans only the [`parts::span_parts`] `q` reads.
/// Returns how many traces and spans were read.
fn for_each_batch(
    store: &parquetry_spans::SpanStore,
    q: &Query,
    regexes: &Regexes,
    (start_ns, end_ns): (i64, i64),
    cancel: &Cancel,
    each: &mut dyn FnMut(Vec<Vec<parquetry_spans::Span>>),
) -> Result<(u64, u64), EvalError> {
    let needs = needs::trace_needs(q, regexes);
    let mut batch = Vec::with_capacity(TRACE_BATCH);
    let (mut traces, mut spans) = (0u64, 0u64);
    let parts = parts::span_parts(q);
    let read = store.for_each_trace((start_ns, end_ns), &needs, &parts, &mut |trace| {
        if cancel.is_cancelled() {
            return Err(parquetry_table::error::StoreError::Cancelled);
        }
        traces += 1;
        spans += trace.len() as u64;
        batch.push(trace);
        if batch.len() == TRACE_BATCH {
            each(std::mem::take(&mut batch));
        }
        Ok(())
    });
    unless_cancelled(cancel, read)?;
    if !batch.is_empty() {
        each(batch);
    }
    Ok((traces, spans))
}
