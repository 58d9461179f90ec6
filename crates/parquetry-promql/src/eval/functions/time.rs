//! `time()`, the date functions, and the experimental `step()`, `range()`, `start()`,
//! `end()`, `min_of()`, `max_of()`.

use super::super::evaluator::Ctx;
use super::super::gomath::{go_max, go_min};
use super::super::value::{StepSeries, Value};
use super::super::{EvalError, StepGrid};
use super::{scalar_arg, take_vector_arg};
use chrono::{DateTime, Datelike, Timelike, Utc};

/// Evaluates the time functions; `None` when `name` is not one of them.
pub fn eval(ctx: &Ctx, name: &str, args: &mut [Value], grid: &StepGrid) -> Result<Option<Value>, EvalError> {
    let constant = |v: f64| Value::Scalar(vec![v; grid.len()]);
    Ok(Some(match name {
        "time" => Value::Scalar(grid.times().map(|t| t as f64 / 1000.0).collect()),
        "step" => constant(ctx.query_step_ms as f64 / 1000.0),
        "range" => constant((ctx.query.end - ctx.query.start) as f64 / 1000.0),
        "start" => constant(ctx.query.start as f64 / 1000.0),
        "end" => constant(ctx.query.end as f64 / 1000.0),
        "min_of" | "max_of" => {
            let (a, b) = (scalar_arg(args, 0, name)?, scalar_arg(args, 1, name)?);
            Value::Scalar(
                a.iter()
                    .zip(b)
                    .map(|(x, y)| {
                        if name == "min_of" {
                            go_min(*x, *y)
                        } else {
                            go_max(*x, *y)
                        }
                    })
                    .collect(),
            )
        }
        "minute" | "hour" | "day_of_week" | "day_of_month" | "day_of_year" | "days_in_month" | "month"
        | "year" => {
            let series = if args.is_empty() {
                vec![StepSeries {
                    labels: parquetry_model::Labels::empty(),
                    drop_name: false,
                    points: grid.times().map(|t| Some(t as f64 / 1000.0)).collect(),
                }]
            } else {
                take_vector_arg(args, 0, name)?
            };
            Value::Vector(
                series
                    .into_iter()
                    .map(|mut s| {
                        for p in s.points.iter_mut().flatten() {
                            *p = date_part(name, *p);
                        }
                        s.drop_name = true;
                        s
                    })
                    .collect(),
            )
        }
        _ => return Ok(None),
    }))
}

/// A calendar field of a Unix time in seconds, in UTC.
fn date_part(name: &str, secs: f64) -> f64 {
    if !secs.is_finite() {
        return f64::NAN;
    }
    let Some(t) = DateTime::<Utc>::from_timestamp(secs as i64, 0) else {
        return f64::NAN;
    };
    (match name {
        "minute" => t.minute(),
        "hour" => t.hour(),
        "day_of_week" => t.weekday().num_days_from_sunday(),
        "day_of_month" => t.day(),
        "day_of_year" => t.ordinal(),
        "month" => t.month(),
        "year" => t.year() as u32,
        _ => days_in_month(t.year(), t.month()),
    }) as f64
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let first_next = chrono::NaiveDate::from_ymd_opt(ny, nm, 1);
    let first = chrono::NaiveDate::from_ymd_opt(year, month, 1);
    match (first, first_next) {
        (Some(a), Some(b)) => (b - a).num_days() as u32,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_fields() {
        // 2026-02-14T13:45:00Z, a Saturday.
        let t = 1_771_076_700.0;
        assert_eq!(date_part("hour", t), 13.0);
        assert_eq!(date_part("minute", t), 45.0);
        assert_eq!(date_part("day_of_week", t), 6.0);
        assert_eq!(date_part("days_in_month", t), 28.0);
        assert_eq!(date_part("day_of_year", t), 45.0);
        assert!(date_part("year", f64::NAN).is_nan());
    }
}
