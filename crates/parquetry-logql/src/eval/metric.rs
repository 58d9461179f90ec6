//! Metric queries. Range aggregations are LogQL's own ([`super::range`]); everything
//! above them (aggregations across series, binary operators with vector matching,
//! `label_replace`, `vector`, numbers) is the PromQL evaluator's, run on a PromQL tree
//! whose leaves read the range aggregations' results back at the evaluation times.

use super::labels::LabelSet;
use super::range::{self, LeafSeries};
use super::source::EntrySource;
use super::{EvalError, Grid};
use crate::syntax::ast::{Expr, Grouping, RangeAggregation, RangeOp, VectorAggregation, VectorOp};
use parquetry_model::{Labels, Matcher};
use parquetry_promql::eval::{self as promql, EvalOptions, QueryResult, RawSeries, SeriesSource, StepGrid};
use parquetry_promql::syntax::ast as p;
use parquetry_promql::syntax::functions::lookup;
use std::borrow::Cow;

/// The label that tells the PromQL side which range aggregation a leaf stands for.
const LEAF_LABEL: &str = "__logql_leaf__";
/// PromQL label sets drop empty values, which LogQL keeps: they cross as this text.
const EMPTY_VALUE: &str = "\u{0}";

/// One series of a metric result with its points `(time in nanoseconds, value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    /// The series' labels (empty values kept).
    pub labels: LabelSet,
    /// Points in time order.
    pub points: Vec<(i64, f64)>,
}

/// A metric query's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricResult {
    /// A number per evaluation time.
    Scalar(Vec<(i64, f64)>),
    /// Series: for an instant query one point each, in the order computed (so `sort` and
    /// `topk` show); for a range query sorted by labels.
    Vector(Vec<MetricSeries>),
}

impl MetricResult {
    /// The same numbers as PromQL's result type, for the tools built on it (tables, SQL,
    /// rules): times in milliseconds, labels whose value is empty left out as PromQL's
    /// label sets leave them. Series are an instant vector, one point per step, as PromQL
    /// gives them for instant and range queries alike.
    pub fn into_promql(self) -> QueryResult {
        let ms = |points: Vec<(i64, f64)>| -> Vec<(i64, f64)> {
            points
                .into_iter()
                .map(|(t, v)| (t.div_euclid(1_000_000), v))
                .collect()
        };
        match self {
            MetricResult::Scalar(points) => QueryResult::Scalar(ms(points)),
            MetricResult::Vector(series) => QueryResult::Vector(
                series
                    .into_iter()
                    .map(|s| promql::ResultSeries {
                        labels: s.labels.to_labels(),
                        points: ms(s.points),
                    })
                    .collect(),
            ),
        }
    }
}

fn encode(labels: &LabelSet) -> Labels {
    Labels::from_pairs(
        labels
            .0
            .iter()
            .map(|(n, v)| (n.as_str(), if v.is_empty() { EMPTY_VALUE } else { v.as_str() })),
    )
}

fn decode(labels: &Labels) -> LabelSet {
    LabelSet(
        labels
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    if l.value == EMPTY_VALUE {
                        String::new()
                    } else {
                        l.value.clone()
                    },
                )
            })
            .collect(),
    )
}

/// True when `approx_topk` appears anywhere in `e`.
fn uses_approx_topk(e: &Expr) -> bool {
    match e {
        Expr::VectorAggregation(a) => a.op == VectorOp::ApproxTopk || uses_approx_topk(&a.expr),
        Expr::Binary(b) => uses_approx_topk(&b.lhs) || uses_approx_topk(&b.rhs),
        Expr::LabelReplace(lr) => uses_approx_topk(&lr.expr),
        _ => false,
    }
}

fn call(name: &str, args: Vec<p::Expr>) -> p::Expr {
    p::Expr::Call(p::Call {
        func: lookup(name).expect("a PromQL function"),
        args,
        span: p::Span::default(),
    })
}

fn number(v: f64) -> p::Expr {
    p::Expr::Number {
        value: p::Number(v),
        duration: false,
        span: p::Span::default(),
    }
}

fn string(s: &str) -> p::Expr {
    p::Expr::String {
        value: s.to_string(),
        span: p::Span::default(),
    }
}

/// The selector of a new leaf.
fn leaf<'e>(a: Cow<'e, RangeAggregation>, leaves: &mut Vec<Cow<'e, RangeAggregation>>) -> p::Expr {
    leaves.push(a);
    p::Expr::VectorSelector(p::VectorSelector {
        name: None,
        matchers: vec![Matcher::equal(LEAF_LABEL, (leaves.len() - 1).to_string())],
        modifiers: p::TimeModifiers::default(),
        mode: p::RangeMode::Default,
        span: p::Span::default(),
    })
}

/// For `sum by (labels) (f(…))` where `f` adds up its window's samples (`count_over_time`,
/// `rate`, `bytes_over_time`, `bytes_rate`, `sum_over_time`) and has no grouping of its
/// own: `f` with the sum's grouping. Summing the per-series results of a group gives what
/// `f` gives over the group's samples together, so the lines go straight into their
/// groups instead of one series per distinct label set (which parsed ids make one per
/// line), as Loki does too.
fn summed_by_groups(a: &VectorAggregation) -> Option<RangeAggregation> {
    let (VectorOp::Sum, Some(by @ Grouping::By(_)), Expr::RangeAggregation(inner)) =
        (a.op, &a.grouping, a.expr.as_ref())
    else {
        return None;
    };
    let additive = matches!(
        inner.op,
        RangeOp::CountOverTime
            | RangeOp::Rate
            | RangeOp::BytesOverTime
            | RangeOp::BytesRate
            | RangeOp::SumOverTime
    );
    (additive && inner.grouping.is_none()).then(|| RangeAggregation {
        grouping: Some(by.clone()),
        ..inner.clone()
    })
}

/// The PromQL tree of a metric expression; each range aggregation becomes a selector of
/// its leaf number, pushed to `leaves`.
fn translate<'e>(e: &'e Expr, leaves: &mut Vec<Cow<'e, RangeAggregation>>) -> Result<p::Expr, EvalError> {
    let span = p::Span::default();
    Ok(match e {
        Expr::Log(_) => {
            return Err(EvalError::Execution(
                "a log query has no samples to aggregate".into(),
            ));
        }
        Expr::RangeAggregation(a) => leaf(Cow::Borrowed(a), leaves),
        Expr::Literal(n, _) => number(n.0),
        Expr::Vector(n, _) => call("vector", vec![number(n.0)]),
        Expr::VectorAggregation(a) => {
            let inner = match summed_by_groups(a) {
                Some(grouped) => leaf(Cow::Owned(grouped), leaves),
                None => translate(&a.expr, leaves)?,
            };
            let op = match a.op {
                VectorOp::Sort => return Ok(call("sort", vec![inner])),
                VectorOp::SortDesc => return Ok(call("sort_desc", vec![inner])),
                VectorOp::Sum => p::AggOp::Sum,
                VectorOp::Avg => p::AggOp::Avg,
                VectorOp::Min => p::AggOp::Min,
                VectorOp::Max => p::AggOp::Max,
                VectorOp::Count => p::AggOp::Count,
                VectorOp::Stddev => p::AggOp::Stddev,
                VectorOp::Stdvar => p::AggOp::Stdvar,
                VectorOp::Topk | VectorOp::ApproxTopk => p::AggOp::Topk,
                VectorOp::Bottomk => p::AggOp::Bottomk,
            };
            p::Expr::Aggregate(p::AggregateExpr {
                op,
                param: a.param.map(|k| Box::new(number(k.0))),
                expr: Box::new(inner),
                grouping: a.grouping.clone().unwrap_or_default(),
                span,
            })
        }
        Expr::Binary(b) => p::Expr::Binary(p::BinaryExpr {
            op: b.op,
            lhs: Box::new(translate(&b.lhs, leaves)?),
            rhs: Box::new(translate(&b.rhs, leaves)?),
            // Loki compares two numbers to 0 or 1 without `bool`.
            return_bool: b.return_bool
                || (b.op.is_comparison() && b.lhs.is_number_only() && b.rhs.is_number_only()),
            matching: b.matching.clone(),
            fill: p::Fill::default(),
            span,
        }),
        Expr::LabelReplace(lr) => call(
            "label_replace",
            vec![
                translate(&lr.expr, leaves)?,
                string(&lr.dst),
                string(&lr.replacement),
                string(&lr.src),
                string(&lr.regex),
            ],
        ),
    })
}

/// The PromQL side's view of the range aggregations' results: every leaf series has a
/// sample at each evaluation time it has a value for.
struct Leaves {
    series: Vec<Vec<LeafSeries>>,
    times_ms: Vec<i64>,
}

impl SeriesSource for Leaves {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), promql::EvalError>,
    ) -> Result<(), promql::EvalError> {
        let leaf = matchers
            .iter()
            .find(|m| m.name == LEAF_LABEL)
            .and_then(|m| m.value.parse::<usize>().ok())
            .and_then(|n| self.series.get(n))
            .ok_or_else(|| promql::EvalError::Execution("unknown leaf".into()))?;
        let batch = leaf
            .iter()
            .map(|s| {
                let (timestamps, values): (Vec<i64>, Vec<f64>) = self
                    .times_ms
                    .iter()
                    .zip(&s.points)
                    .filter(|(t, v)| v.is_some() && (min_time..=max_time).contains(*t))
                    .map(|(t, v)| (*t, v.unwrap_or_default()))
                    .unzip();
                RawSeries {
                    labels: std::sync::Arc::new(encode(&s.labels)),
                    drop_name: false,
                    timestamps: timestamps.into(),
                    values: values.into(),
                }
            })
            .collect();
        each(batch)
    }
}

/// Evaluates a metric query at every time of `grid` (whose times must be whole
/// milliseconds). `instant` keeps the computed order of series, as an instant query
/// returns them.
pub fn evaluate(
    expr: &Expr,
    source: &dyn EntrySource,
    grid: Grid,
    instant: bool,
) -> Result<MetricResult, EvalError> {
    if !instant && uses_approx_topk(expr) {
        return Err(EvalError::Execution(
            "approx_topk is only supported on instant queries".into(),
        ));
    }
    let mut aggs = Vec::new();
    let tree = translate(expr, &mut aggs)?;
    let ms = |ns: i64| ns.div_euclid(1_000_000);
    let step_grid = if instant {
        StepGrid::instant(ms(grid.start))
    } else {
        StepGrid {
            start: ms(grid.start),
            end: ms(grid.end),
            step: ms(grid.step).max(1),
        }
    };
    let series = aggs
        .iter()
        .map(|a| range::eval(a, source, &grid))
        .collect::<Result<Vec<_>, _>>()?;
    let leaves = Leaves {
        series,
        times_ms: grid.times().map(ms).collect(),
    };
    let options = EvalOptions {
        lookback_ms: 1,
        division_by_zero_is_nan: true,
        ..EvalOptions::default()
    };
    let result = promql::evaluate(&tree, &leaves, step_grid, instant, &options).map_err(|e| match e {
        promql::EvalError::Storage(m) => EvalError::Storage(m),
        // Loki names no match group.
        promql::EvalError::DuplicateSeries { side, series, .. } => EvalError::Execution(format!(
            "found duplicate series on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
            series[0], series[1]
        )),
        other => EvalError::Execution(other.to_string()),
    })?;
    let ns = |t: i64| t * 1_000_000;
    Ok(match result {
        QueryResult::Scalar(points) => {
            MetricResult::Scalar(points.into_iter().map(|(t, v)| (ns(t), v)).collect())
        }
        QueryResult::Vector(series) | QueryResult::Range(series) => MetricResult::Vector(
            series
                .into_iter()
                .map(|s| MetricSeries {
                    labels: decode(&s.labels),
                    points: s.points.into_iter().map(|(t, v)| (ns(t), v)).collect(),
                })
                .collect(),
        ),
        QueryResult::String(s) => {
            return Err(EvalError::Execution(format!(
                "a string is not a metric result: {s}"
            )));
        }
    })
}
