//! PromQL functions over float samples. Each file holds one family.

mod absent;
mod edges;
mod extrapolation;
mod histogram;
mod info;
mod labels;
mod math;
mod range;
mod range_fn;
mod regression;
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
    // The values at the two ranks around φ, as a sort that puts NaN first (as Prometheus
    // sorts) would place them; selecting them is linear where sorting is not.
    let order = |a: &f64, b: &f64| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    };
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0) as usize;
    let upper = (lower + 1).min(values.len() - 1);
    let weight = rank - rank.floor();
    let (_, &mut at_lower, above) = values.select_nth_unstable_by(lower, order);
    let at_upper = match upper > lower {
        true => above.iter().copied().min_by(order).unwrap_or(at_lower),
        false => at_lower,
    };
    at_lower * (1.0 - weight) + at_upper * weight
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

    proptest::proptest! {
        /// The selected ranks are those of the sorted values, NaN first.
        #[test]
        fn quantile_picks_the_ranks_of_the_sorted_values(
            values in proptest::collection::vec(proptest::prop_oneof![
                8 => -1e6f64..1e6,
                1 => proptest::prelude::Just(f64::NAN),
                1 => proptest::prelude::Just(-0.0),
                1 => proptest::prelude::Just(0.0),
            ], 1..60),
            q in 0.0f64..=1.0,
        ) {
            let mut sorted = values.clone();
            sorted.sort_by(|a, b| b.is_nan().cmp(&a.is_nan()).then(a.total_cmp(b)));
            let rank = q * (sorted.len() - 1) as f64;
            let (lower, weight) = (rank.floor() as usize, rank - rank.floor());
            let upper = (lower + 1).min(sorted.len() - 1);
            let want = sorted[lower] * (1.0 - weight) + sorted[upper] * weight;
            let got = quantile(q, values);
            proptest::prop_assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()));
        }
    }
}
