//! Element-wise functions of an instant vector, and the scalar/vector conversions.

use super::super::gomath::{go_max, go_min};
use super::super::value::{StepSeries, Value};
use super::super::{EvalError, StepGrid};
use super::{scalar_arg, take_vector_arg, vector_arg};

/// Maps each sample through `f(value, step)`, marking the metric name for removal.
fn map_series(series: Vec<StepSeries>, mut f: impl FnMut(f64, usize) -> f64) -> Vec<StepSeries> {
    series
        .into_iter()
        .map(|mut s| {
            for (k, p) in s.points.iter_mut().enumerate() {
                if let Some(v) = p {
                    *v = f(*v, k);
                }
            }
            s.drop_name = true;
            s
        })
        .collect()
}

fn map(series: Vec<StepSeries>, f: impl FnMut(f64, usize) -> f64) -> Value {
    Value::Vector(map_series(series, f))
}

/// Evaluates the element-wise math functions and `scalar`, `vector`, `sort*`, `pi`;
/// `None` when `name` is not one of them.
pub fn eval(name: &str, args: &mut [Value], grid: &StepGrid) -> Result<Option<Value>, EvalError> {
    let simple: Option<fn(f64) -> f64> = match name {
        "abs" => Some(f64::abs),
        "ceil" => Some(f64::ceil),
        "floor" => Some(f64::floor),
        "exp" => Some(f64::exp),
        "sqrt" => Some(f64::sqrt),
        "ln" => Some(f64::ln),
        "log2" => Some(f64::log2),
        "log10" => Some(f64::log10),
        "sin" => Some(f64::sin),
        "cos" => Some(f64::cos),
        "tan" => Some(f64::tan),
        "asin" => Some(f64::asin),
        "acos" => Some(f64::acos),
        "atan" => Some(f64::atan),
        "sinh" => Some(f64::sinh),
        "cosh" => Some(f64::cosh),
        "tanh" => Some(f64::tanh),
        "asinh" => Some(f64::asinh),
        "acosh" => Some(f64::acosh),
        "atanh" => Some(f64::atanh),
        "deg" => Some(f64::to_degrees),
        "rad" => Some(f64::to_radians),
        "sgn" => Some(|v: f64| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }),
        _ => None,
    };
    if let Some(f) = simple {
        return Ok(Some(map(take_vector_arg(args, 0, name)?, |v, _| f(v))));
    }
    Ok(Some(match name {
        "pi" => Value::Scalar(vec![std::f64::consts::PI; grid.len()]),
        "round" => {
            let to_nearest = match args.get(1) {
                Some(_) => scalar_arg(args, 1, name)?.to_vec(),
                None => vec![1.0; grid.len()],
            };
            map(take_vector_arg(args, 0, name)?, |v, k| {
                // Like Prometheus: ties round up, and dividing by the inverse keeps
                // decimals such as 0.1 exact.
                let inverse = 1.0 / to_nearest[k];
                (v * inverse + 0.5).floor() / inverse
            })
        }
        "clamp" | "clamp_min" | "clamp_max" => {
            let (lo, hi): (Vec<f64>, Vec<f64>) = match name {
                "clamp" => (
                    scalar_arg(args, 1, name)?.to_vec(),
                    scalar_arg(args, 2, name)?.to_vec(),
                ),
                "clamp_min" => (
                    scalar_arg(args, 1, name)?.to_vec(),
                    vec![f64::INFINITY; grid.len()],
                ),
                _ => (
                    vec![f64::NEG_INFINITY; grid.len()],
                    scalar_arg(args, 1, name)?.to_vec(),
                ),
            };
            let series = take_vector_arg(args, 0, name)?;
            if name == "clamp" {
                // Steps where min > max return nothing.
                let mut out = map_series(series, |v, k| go_max(lo[k], go_min(hi[k], v)));
                for s in &mut out {
                    for (k, p) in s.points.iter_mut().enumerate() {
                        if lo[k] > hi[k] {
                            *p = None;
                        }
                    }
                }
                Value::Vector(out)
            } else {
                map(series, |v, k| {
                    if name == "clamp_min" {
                        go_max(lo[k], v)
                    } else {
                        go_min(hi[k], v)
                    }
                })
            }
        }
        "scalar" => {
            let series = vector_arg(args, 0, name)?;
            Value::Scalar(
                (0..grid.len())
                    .map(|k| {
                        let mut present = series.iter().filter_map(|s| s.points[k]);
                        match (present.next(), present.next()) {
                            (Some(v), None) => v,
                            _ => f64::NAN,
                        }
                    })
                    .collect(),
            )
        }
        "vector" => Value::Vector(vec![StepSeries {
            labels: parquetry_model::Labels::empty(),
            drop_name: false,
            points: scalar_arg(args, 0, name)?.iter().map(|v| Some(*v)).collect(),
        }]),
        "sort" | "sort_desc" => {
            let mut series = take_vector_arg(args, 0, name)?;
            // Instant queries show the order; NaN sorts last either way.
            let key = |s: &StepSeries| s.points.first().copied().flatten().unwrap_or(f64::NAN);
            series.sort_by(|a, b| {
                let (x, y) = (key(a), key(b));
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ if name == "sort" => x.total_cmp(&y),
                    _ => y.total_cmp(&x),
                }
            });
            Value::Vector(series)
        }
        _ => return Ok(None),
    }))
}
