//! `absent` and `absent_over_time`: a series of value 1 where the argument has none.

use super::super::evaluator::Ctx;
use super::super::value::{StepSeries, Value};
use super::super::{EvalError, StepGrid};
use crate::syntax::ast::{Call, Expr};
use parquetry_model::{Labels, METRIC_NAME, MatchOp};

/// Evaluates `absent(v)` or `absent_over_time(m)`.
pub fn eval(ctx: &Ctx, c: &Call, grid: &StepGrid) -> Result<Value, EvalError> {
    let arg = &c.args[0];
    let present: Vec<bool> = if c.func.name == "absent_over_time" {
        let wrapped = Call {
            func: crate::syntax::functions::lookup("count_over_time").expect("count_over_time exists"),
            args: c.args.clone(),
            span: c.span,
        };
        presence(super::range::eval(ctx, &wrapped, grid)?, grid.len())
    } else {
        presence(ctx.eval(arg, grid)?, grid.len())
    };
    let points: Vec<Option<f64>> = present.iter().map(|p| (!p).then_some(1.0)).collect();
    if points.iter().all(Option::is_none) {
        return Ok(Value::Vector(Vec::new()));
    }
    Ok(Value::Vector(vec![StepSeries {
        labels: absent_labels(arg),
        drop_name: false,
        points,
    }]))
}

fn presence(v: Value, steps: usize) -> Vec<bool> {
    match v {
        Value::Vector(series) => (0..steps)
            .map(|k| series.iter().any(|s| s.points[k].is_some()))
            .collect(),
        _ => vec![true; steps],
    }
}

/// The labels `absent` reports: the equality matchers of a selector argument, except
/// `__name__` and labels matched more than once.
fn absent_labels(arg: &Expr) -> Labels {
    let matchers = match arg {
        Expr::VectorSelector(vs) => &vs.matchers,
        Expr::MatrixSelector(ms) => &ms.selector.matchers,
        _ => return Labels::empty(),
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut repeated: Vec<&str> = Vec::new();
    for m in matchers {
        if m.name == METRIC_NAME {
            continue;
        }
        if matchers.iter().filter(|o| o.name == m.name).count() > 1 {
            repeated.push(&m.name);
            continue;
        }
        if m.op == MatchOp::Equal {
            pairs.push((&m.name, &m.value));
        }
    }
    Labels::from_pairs(pairs.into_iter().filter(|(n, _)| !repeated.contains(n)))
}
