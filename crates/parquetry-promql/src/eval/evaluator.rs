//! The evaluator core: walks the syntax tree and dispatches each node.

use super::result::{QueryResult, finish};
use super::value::{RangeValue, RawSeries, StepSeries, Value};
use super::{EvalError, EvalOptions, SeriesSource, StepGrid, aggregate, binary, functions, selectors};
use crate::syntax::ast::{At, DurationExpr, Expr, RangeMode, TimeModifiers, ValueType};
use parquetry_model::Matcher;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Evaluates `expr` at every time of `grid`. `instant` marks an instant query: a range
/// vector may be its result, `step()` and `range()` are 0, and an instant vector keeps
/// the order it was computed in; a range query's matrix is sorted by labels.
pub fn evaluate(
    expr: &Expr,
    source: &dyn SeriesSource,
    grid: StepGrid,
    instant: bool,
    options: &EvalOptions,
) -> Result<QueryResult, EvalError> {
    let ctx = Ctx {
        source,
        options,
        query: grid,
        query_step_ms: if instant { 0 } else { grid.step },
        samples: AtomicUsize::new(0),
    };
    let kind = expr.value_type();
    if !instant && matches!(kind, ValueType::Matrix | ValueType::String) {
        return Err(EvalError::RangeQueryType(kind.to_string()));
    }
    let value = ctx.eval(expr, &grid)?;
    finish(value, &grid, !instant)
}

/// Everything one query's evaluation shares.
pub(crate) struct Ctx<'a> {
    source: &'a dyn SeriesSource,
    pub(crate) options: &'a EvalOptions,
    /// The grid of the whole query (for `@ start()`, `@ end()`, `step()`, `range()`).
    pub(crate) query: StepGrid,
    pub(crate) query_step_ms: i64,
    samples: AtomicUsize,
}

impl Ctx<'_> {
    /// Evaluates `e` at every time of `grid`.
    pub(crate) fn eval(&self, e: &Expr, grid: &StepGrid) -> Result<Value, EvalError> {
        self.check_deadline()?;
        let value = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.eval_node(e, grid))?;
        self.options.stats.note_points_held(value.points() as u64);
        Ok(value)
    }

    fn eval_node(&self, e: &Expr, grid: &StepGrid) -> Result<Value, EvalError> {
        match e {
            Expr::Number { value, .. } => Ok(Value::Scalar(vec![value.0; grid.len()])),
            Expr::String { value, .. } => Ok(Value::String(value.clone())),
            Expr::Paren { expr, .. } => self.eval(expr, grid),
            Expr::Unary { negate, expr, .. } => {
                let v = self.eval(expr, grid)?;
                if !negate {
                    return Ok(v);
                }
                Ok(match v {
                    Value::Scalar(s) => Value::Scalar(s.into_iter().map(|x| -x).collect()),
                    Value::Vector(series) => Value::Vector(
                        series
                            .into_iter()
                            .map(|mut s| {
                                s.points.iter_mut().flatten().for_each(|x| *x = -*x);
                                s.drop_name = true;
                                s
                            })
                            .collect(),
                    ),
                    other => other,
                })
            }
            Expr::VectorSelector(vs) => selectors::eval_vector(self, vs, grid),
            Expr::MatrixSelector(ms) => selectors::eval_matrix(self, ms, grid).map(Value::Range),
            Expr::Subquery(sq) => {
                let times = self.effective_times(&sq.modifiers, grid);
                let range = self.duration_ms(&sq.range);
                let step = match &sq.step {
                    Some(s) => self.duration_ms(s),
                    None => self.options.default_subquery_step_ms,
                };
                if step <= 0 {
                    return Err(EvalError::Execution("subquery step must be positive".to_string()));
                }
                self.subquery(&sq.expr, &times, range, step).map(Value::Range)
            }
            Expr::Binary(b) => binary::eval(self, b, grid),
            Expr::Aggregate(a) => aggregate::eval(self, a, grid),
            Expr::Call(c) => functions::call(self, c, grid),
        }
    }

    /// Evaluates `inner` at the multiples of `step` inside every window `(t - range, t]`
    /// and returns its values as raw samples, so range functions can consume them.
    fn subquery(
        &self,
        inner: &Expr,
        window_ends: &[i64],
        range: i64,
        step: i64,
    ) -> Result<RangeValue, EvalError> {
        let (Some(&lo), Some(&hi)) = (window_ends.iter().min(), window_ends.iter().max()) else {
            return Ok(RangeValue {
                series: Vec::new(),
                range_ms: range,
                window_ends: window_ends.to_vec(),
                mode: RangeMode::Default,
            });
        };
        // The first multiple of the step after the earliest window's start.
        let start = (lo - range).div_euclid(step) * step + step;
        let inner_grid = StepGrid { start, end: hi, step };
        let series = if inner_grid.is_empty() {
            Vec::new()
        } else {
            match self.eval(inner, &inner_grid)? {
                Value::Vector(v) => v.into_iter().map(|s| to_raw(s, &inner_grid)).collect(),
                Value::Scalar(points) => vec![RawSeries {
                    labels: Arc::new(parquetry_model::Labels::empty()),
                    drop_name: false,
                    timestamps: inner_grid.times().collect(),
                    values: points.into(),
                }],
                other => {
                    return Err(EvalError::Execution(format!(
                        "subquery is only allowed on instant vector, got {}",
                        other.type_name()
                    )));
                }
            }
        };
        Ok(RangeValue {
            series,
            range_ms: range,
            window_ends: window_ends.to_vec(),
            mode: RangeMode::Default,
        })
    }

    /// The time each step of `grid` looks at: the step's time (or the `@` time), minus
    /// the offset.
    pub(crate) fn effective_times(&self, m: &TimeModifiers, grid: &StepGrid) -> Vec<i64> {
        let offset = m.offset.as_ref().map_or(0, |d| self.duration_ms(d));
        grid.times()
            .map(|t| {
                let base = match &m.at {
                    None => t,
                    Some(At::Timestamp(ms)) => *ms,
                    Some(At::Start) => self.query.start,
                    Some(At::End) => self.query.end,
                };
                base - offset
            })
            .collect()
    }

    /// A duration expression's value in milliseconds for this query.
    pub(crate) fn duration_ms(&self, d: &DurationExpr) -> i64 {
        d.eval_ms(self.query_step_ms, self.query.end - self.query.start)
            .round() as i64
    }

    /// Reads raw samples a batch of series at a time, counting them against the query's
    /// limit and checking the deadline between batches.
    pub(crate) fn fetch_batches(
        &self,
        matchers: &[Matcher],
        min_t: i64,
        max_t: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        self.check_deadline()?;
        self.source.select_batches(matchers, min_t, max_t, &mut |batch| {
            self.admit(&batch)?;
            each(batch)
        })
    }

    /// Reads raw samples a batch of series at a time and makes something of each batch
    /// with `f` (on several threads at once where the source can), counting samples
    /// against the query's limit; returns what `f` made, in the source's batch order.
    pub(crate) fn map_batches<T: Send>(
        &self,
        matchers: &[Matcher],
        min_t: i64,
        max_t: i64,
        f: &(dyn Fn(Vec<RawSeries>) -> Result<T, EvalError> + Sync),
    ) -> Result<Vec<T>, EvalError> {
        self.check_deadline()?;
        let parts = Mutex::new(Vec::new());
        self.source.for_each_batch(matchers, min_t, max_t, &|i, batch| {
            self.admit(&batch)?;
            let made = f(batch)?;
            parts.lock().unwrap_or_else(|e| e.into_inner()).push((i, made));
            Ok(())
        })?;
        let mut parts = parts.into_inner().unwrap_or_else(|e| e.into_inner());
        parts.sort_unstable_by_key(|(i, _)| *i);
        Ok(parts.into_iter().map(|(_, made)| made).collect())
    }

    /// Reads raw samples a batch of series at a time and reduces each batch to step
    /// series with `reduce` (on several threads at once where the source can), counting
    /// samples and points against the query's limits, with `steps` points per series.
    pub(crate) fn reduce_batches(
        &self,
        matchers: &[Matcher],
        min_t: i64,
        max_t: i64,
        steps: usize,
        reduce: &(dyn Fn(Vec<RawSeries>) -> Result<Vec<StepSeries>, EvalError> + Sync),
    ) -> Result<Vec<StepSeries>, EvalError> {
        let series = AtomicUsize::new(0);
        let parts = self.map_batches(matchers, min_t, max_t, &|batch| {
            let held = series.fetch_add(batch.len(), Ordering::Relaxed) + batch.len();
            self.check_points(held, steps)?;
            reduce(batch)
        })?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Counts a batch's samples against the query's limit, checking the deadline first.
    fn admit(&self, batch: &[RawSeries]) -> Result<(), EvalError> {
        self.check_deadline()?;
        let n: usize = batch.iter().map(|s| s.timestamps.len()).sum();
        self.options.stats.add_samples_read(n as u64);
        let total = self.samples.fetch_add(n, Ordering::Relaxed) + n;
        if total > self.options.max_samples {
            return Err(EvalError::TooManySamples);
        }
        Ok(())
    }

    /// Refuses results with more points than the query may hold.
    pub(crate) fn check_points(&self, series: usize, steps: usize) -> Result<(), EvalError> {
        self.options
            .stats
            .note_points_held(series.saturating_mul(steps) as u64);
        if series.saturating_mul(steps) > self.options.max_points {
            return Err(EvalError::Limit(format!(
                "an intermediate result would hold {} points (limit {})",
                series.saturating_mul(steps),
                self.options.max_points
            )));
        }
        Ok(())
    }

    /// Fails when the query was cancelled or its deadline passed; long kernels call it
    /// between series.
    pub(crate) fn check_deadline(&self) -> Result<(), EvalError> {
        if self.options.cancel.is_cancelled() {
            return Err(EvalError::Cancelled);
        }
        match self.options.deadline {
            Some(d) if Instant::now() > d => Err(EvalError::Timeout),
            _ => Ok(()),
        }
    }
}

/// A step series as raw samples at the grid's times.
fn to_raw(s: StepSeries, grid: &StepGrid) -> RawSeries {
    let (timestamps, values): (Vec<i64>, Vec<f64>) = s
        .points
        .iter()
        .enumerate()
        .filter_map(|(k, p)| p.map(|v| (grid.time(k), v)))
        .unzip();
    RawSeries {
        labels: Arc::new(s.labels),
        drop_name: s.drop_name,
        timestamps: timestamps.into(),
        values: values.into(),
    }
}
