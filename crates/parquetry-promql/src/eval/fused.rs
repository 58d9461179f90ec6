//! Aggregations fused with the range function under them: `sum by (job) (rate(x[5m]))`
//! folds each series' window values straight into its group's accumulators, a batch of
//! series at a time, so the range function's series × steps are never held.
//!
//! Batches are folded on several threads and their partial groups merged in the source's
//! batch order, so an answer does not depend on scheduling. The groups come out in the
//! order the general path gives them (by their first member in label order), and sums
//! and means carry their compensation across the merge, so the two paths agree to the
//! last bits but for summation order.

use super::aggregate::in_group_key;
use super::evaluator::Ctx;
use super::functions::{RangeCall, is_range_function};
use super::selectors::map_matrix;
use super::step_cells::StepCells;
use super::value::{RangeValue, StepSeries, Value};
use super::{EvalError, StepGrid};
use crate::syntax::ast::{AggOp, AggregateExpr, Call, Expr, Grouping, ValueType};
use foldhash::{HashMap, HashMapExt};
use parquetry_model::Labels;
use rayon::prelude::*;

/// The fused evaluation of `a` when it is `sum`, `avg`, `count`, `group`, `min` or `max`
/// of a range function over a range selector, and fusion is on; `None` when it has
/// another shape, or when a mean's sum left the finite numbers (Prometheus then switches
/// to a running mean whose result depends on the order of the values), so that the caller
/// evaluates it the general way.
pub(crate) fn eval(ctx: &Ctx, a: &AggregateExpr, grid: &StepGrid) -> Option<Result<Value, EvalError>> {
    if !ctx.options.fuse_aggregations || a.param.is_some() || !folds_one_value_at_a_time(a.op) {
        return None;
    }
    let c = fusable_call(&a.expr)?;
    match fold(ctx, a, c, grid) {
        Ok(Some(value)) => {
            ctx.options.stats.note_fused_aggregation();
            Some(Ok(value))
        }
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

fn folds_one_value_at_a_time(op: AggOp) -> bool {
    matches!(
        op,
        AggOp::Sum | AggOp::Avg | AggOp::Count | AggOp::Group | AggOp::Min | AggOp::Max
    )
}

/// The range function call under an aggregation when its range vector is a selector (a
/// subquery's range vector is computed whole and gains nothing from fusion).
fn fusable_call(e: &Expr) -> Option<&Call> {
    match e {
        Expr::Paren { expr, .. } => fusable_call(expr),
        Expr::Call(c) if is_range_function(c.func.name) => {
            let matrix = c.args.iter().find(|a| a.value_type() == ValueType::Matrix)?;
            matches!(matrix, Expr::MatrixSelector(_)).then_some(c)
        }
        _ => None,
    }
}

/// Reads the selector a batch at a time, folds every batch into partial groups (its
/// series split across threads), merges them, and finishes the groups.
fn fold(ctx: &Ctx, a: &AggregateExpr, c: &Call, grid: &StepGrid) -> Result<Option<Value>, EvalError> {
    let call = RangeCall::prepare(ctx, c, grid)?;
    let Expr::MatrixSelector(ms) = call.matrix else {
        return Ok(None);
    };
    let steps = grid.len();
    let step_times: Vec<i64> = grid.times().collect();
    let lookback = ctx.options.lookback_ms;
    let empty = || Partial::new(a.op, &a.grouping, steps);
    let fold_batch = |range: RangeValue| -> Result<Partial, EvalError> {
        range
            .series
            .par_iter()
            .with_min_len(8)
            .try_fold(empty, |mut partial, s| {
                ctx.check_deadline()?;
                let points = call.points(&range, s, &step_times, lookback);
                partial.add(&s.labels, &points);
                Ok(partial)
            })
            .try_reduce(empty, |x, y| Ok(x.merge(y)))
    };
    let whole = map_matrix(ctx, ms, grid, &fold_batch)?
        .into_iter()
        .fold(empty(), Partial::merge);
    ctx.check_points(whole.groups.len(), steps)?;
    let valued_at: Vec<bool> = (0..steps)
        .map(|k| whole.groups.iter().any(|g| g.cells.has_value_at(k)))
        .collect();
    call.annotate(ctx, whole.last.as_ref().map(|(l, v)| (l, *v)), |k| valued_at[k]);
    Ok(whole.finish(!call.keeps_name()).map(Value::Vector))
}

/// The groups of a run of series, in the source's order.
struct Partial<'a> {
    op: AggOp,
    grouping: &'a Grouping,
    steps: usize,
    groups: Vec<Group>,
    index: HashMap<Labels, usize>,
    /// The series last in label order, and whether it gave any value.
    last: Option<(Labels, bool)>,
    /// The group key of the series being added, its buffers reused from series to series.
    key: Labels,
}

/// One group: its labels and its accumulators.
struct Group {
    key: Labels,
    /// The member first in label order: the general path lists groups in that order.
    first: Labels,
    cells: StepCells,
}

impl<'a> Partial<'a> {
    fn new(op: AggOp, grouping: &'a Grouping, steps: usize) -> Self {
        Partial {
            op,
            grouping,
            steps,
            groups: Vec::new(),
            index: HashMap::new(),
            last: None,
            key: Labels::empty(),
        }
    }

    /// Folds one series' values at each step into its group. Labels are copied only for
    /// a new group or a new first member; the newest series is copied into the buffers of
    /// the one before it.
    fn add(&mut self, labels: &Labels, points: &[Option<f64>]) {
        let grouping = self.grouping;
        self.key.set_to_kept(labels, |l| in_group_key(l, grouping));
        let g = match self.index.get(&self.key) {
            Some(&g) => {
                if *labels < self.groups[g].first {
                    self.groups[g].first = labels.clone();
                }
                g
            }
            None => {
                self.groups
                    .push(Group::new(self.op, self.key.clone(), labels.clone(), self.steps));
                self.index.insert(self.key.clone(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let valued = points.iter().any(Option::is_some);
        match &mut self.last {
            Some((last, last_valued)) if labels > last => {
                last.clone_from(labels);
                *last_valued = valued;
            }
            Some(_) => {}
            None => self.last = Some((labels.clone(), valued)),
        }
        self.groups[g].cells.fold_series(self.op, points);
    }

    /// This run's groups followed by `later`'s, as if its series had been added here.
    fn merge(mut self, later: Partial<'a>) -> Self {
        for group in later.groups {
            match self.index.get(&group.key) {
                Some(&g) => self.groups[g].absorb(self.op, group),
                None => {
                    self.index.insert(group.key.clone(), self.groups.len());
                    self.groups.push(group);
                }
            }
        }
        if let Some((labels, valued)) = later.last
            && self.last.as_ref().is_none_or(|(l, _)| labels > *l)
        {
            self.last = Some((labels, valued));
        }
        self
    }

    /// The groups as step series in the general path's order; `None` when a mean's sum
    /// is not finite. `drops_name`: the range function drops the metric name, so a group
    /// kept by `__name__` drops it at the end.
    fn finish(self, drops_name: bool) -> Option<Vec<StepSeries>> {
        let op = self.op;
        let mut groups = self.groups;
        groups.sort_by(|x, y| x.first.cmp(&y.first));
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            out.push(StepSeries {
                points: g.cells.points(op)?,
                drop_name: drops_name && g.key.metric_name().is_some(),
                labels: g.key,
            });
        }
        Some(out)
    }
}

impl Group {
    fn new(op: AggOp, key: Labels, first: Labels, steps: usize) -> Self {
        Group {
            key,
            first,
            cells: StepCells::new(op, steps),
        }
    }

    /// Adds the accumulators of the same group over later series.
    fn absorb(&mut self, op: AggOp, later: Group) {
        self.cells.absorb(op, later.cells);
        if later.first < self.first {
            self.first = later.first;
        }
    }
}

#[cfg(test)]
mod tests;
