//! PromQL functions over float samples. Each file holds one family.

mod absent;
mod edges;
mod histogram;
mod info;
mod labels;
mod math;
mod range;
mod range_fn;
mod time;

pub(crate) use range::{RangeCall, is_range_function};
pub use range_fn::RangeFn;

use super::evaluator::Ctx;
use super::selectors::eval_vector_timestamps;
use super::value::{StepSeries, Value};
use super::{EvalError, StepGrid};
use crate::syntax::ast::{Call, Expr};

/// Evaluates a function call.
pub(crate) fn call(ctx: &Ctx, c: &Call, grid: &StepGrid) -> Result<Value, EvalError> {
    let name = c.func.name;
    // Functions that look at their argument's syntax rather than its value.
    match name {
        "timestamp" => {
            if let Some(vs) = unparen_selector(&c.args[0]) {
                return eval_vector_timestamps(ctx, vs, grid);
            }
            // Any other vector's samples are stamped with their step's time.
            return match ctx.eval(&c.args[0], grid)? {
                Value::Vector(series) => Ok(Value::Vector(
                    series
                        .into_iter()
                        .map(|mut s| {
                            for (k, p) in s.points.iter_mut().enumerate() {
                                if p.is_some() {
                                    *p = Some(grid.time(k) as f64 / 1000.0);
                                }
                            }
                            s.drop_name = true;
                            s
                        })
                        .collect(),
                )),
                other => Err(EvalError::Execution(format!(
                    "timestamp: expected an instant vector, got {}",
                    other.type_name()
                ))),
            };
        }
        "absent" | "absent_over_time" => return absent::eval(ctx, c, grid),
        "info" => return info::eval(ctx, c, grid),
        _ => {}
    }
    if range::is_range_function(name) {
        return range::eval(ctx, c, grid);
    }
    let mut args = Vec::with_capacity(c.args.len());
    for a in &c.args {
        args.push(ctx.eval(a, grid)?);
    }
    if let Some(v) = time::eval(ctx, name, &mut args, grid)? {
        return Ok(v);
    }
    if let Some(v) = math::eval(name, &mut args, grid)? {
        return Ok(v);
    }
    if let Some(v) = labels::eval(name, &mut args)? {
        return Ok(v);
    }
    if let Some(v) = histogram::eval(ctx, c, &args, grid)? {
        return Ok(v);
    }
    Err(EvalError::Execution(format!(
        "function {name:?} is not supported for float samples yet"
    )))
}

fn unparen_selector(e: &Expr) -> Option<&crate::syntax::ast::VectorSelector> {
    match e {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::Paren { expr, .. } => unparen_selector(expr),
        _ => None,
    }
}

/// The vector argument `i`, or an error naming the function.
fn vector_arg<'a>(args: &'a [Value], i: usize, name: &str) -> Result<&'a [StepSeries], EvalError> {
    match args.get(i) {
        Some(Value::Vector(v)) => Ok(v),
        _ => Err(EvalError::Execution(format!(
            "{name}: argument {} must be an instant vector",
            i + 1
        ))),
    }
}

/// The vector argument `i` moved out of `args` (an empty vector is left in its place),
/// for a function that makes its answer of its input's series; or an error naming the
/// function.
fn take_vector_arg(args: &mut [Value], i: usize, name: &str) -> Result<Vec<StepSeries>, EvalError> {
    match args.get_mut(i) {
        Some(Value::Vector(v)) => Ok(std::mem::take(v)),
        _ => Err(EvalError::Execution(format!(
            "{name}: argument {} must be an instant vector",
            i + 1
        ))),
    }
}

/// The scalar argument `i` (one value per step).
fn scalar_arg<'a>(args: &'a [Value], i: usize, name: &str) -> Result<&'a [f64], EvalError> {
    match args.get(i) {
        Some(Value::Scalar(s)) => Ok(s),
        _ => Err(EvalError::Execution(format!(
            "{name}: argument {} must be a scalar",
            i + 1
        ))),
    }
}

/// The string argument `i`.
fn string_arg<'a>(args: &'a [Value], i: usize, name: &str) -> Result<&'a str, EvalError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(EvalError::Execution(format!(
            "{name}: argument {} must be a string",
            i + 1
        ))),
    }
}

/// Prometheus' quantile over a set of values: linear interpolation between the closest
/// ranks; `q < 0` gives -Inf, `q > 1` +Inf, NaN or no values NaN.
pub fn quantile(q: f64, mut values: Vec<f64>) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN sorts first, as in Prometheus.
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(0.5, vec![1.0, 3.0]), 2.0);
        assert_eq!(quantile(0.0, vec![5.0, 1.0]), 1.0);
        assert_eq!(quantile(1.0, vec![5.0, 1.0]), 5.0);
        assert_eq!(quantile(-0.1, vec![1.0]), f64::NEG_INFINITY);
        assert!(quantile(0.5, vec![]).is_nan());
    }
}
