//! `label_replace`, `label_join` and the experimental `sort_by_label`.

use super::super::EvalError;
use super::super::value::{StepSeries, Value};
use super::{string_arg, take_vector_arg};
use parquetry_model::METRIC_NAME;
use regex::Regex;

/// A label name Prometheus 3 accepts: non-empty UTF-8 (U+FFFD stands for bytes that were
/// not UTF-8 in the query, which Prometheus refuses).
fn valid_label_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('\u{fffd}')
}

/// Evaluates the label functions; `None` when `name` is not one of them.
pub fn eval(name: &str, args: &mut [Value]) -> Result<Option<Value>, EvalError> {
    Ok(Some(match name {
        "label_replace" => {
            let series = take_vector_arg(args, 0, name)?;
            let dst = string_arg(args, 1, name)?;
            let replacement = string_arg(args, 2, name)?;
            let src = string_arg(args, 3, name)?;
            let pattern = string_arg(args, 4, name)?;
            let regex = Regex::new(&format!("^(?s:{pattern})$")).map_err(|_| {
                EvalError::Execution(format!(
                    "invalid regular expression in label_replace(): {pattern}"
                ))
            })?;
            if !valid_label_name(dst) {
                return Err(EvalError::Execution(format!(
                    "invalid destination label name in label_replace(): {dst}"
                )));
            }
            Value::Vector(
                series
                    .into_iter()
                    .map(|mut s| {
                        let value = s.labels.get(src).unwrap_or("");
                        if let Some(caps) = regex.captures(value) {
                            let mut out = String::new();
                            // `$1` and `${name}` expand as in Go's regexp: a `$name`
                            // takes the longest run of word characters.
                            caps.expand(replacement, &mut out);
                            s.labels = s.labels.with(dst, &out);
                            if dst == METRIC_NAME {
                                s.drop_name = false;
                            }
                        }
                        s
                    })
                    .collect(),
            )
        }
        "label_join" => {
            let series = take_vector_arg(args, 0, name)?;
            let dst = string_arg(args, 1, name)?;
            let sep = string_arg(args, 2, name)?;
            if !valid_label_name(dst) {
                return Err(EvalError::Execution(format!(
                    "invalid destination label name in label_join(): {dst}"
                )));
            }
            let srcs: Vec<&str> = (3..args.len())
                .map(|i| string_arg(args, i, name))
                .collect::<Result<_, _>>()?;
            Value::Vector(
                series
                    .into_iter()
                    .map(|mut s| {
                        let joined: Vec<&str> = srcs.iter().map(|l| s.labels.get(l).unwrap_or("")).collect();
                        s.labels = s.labels.with(dst, &joined.join(sep));
                        if dst == METRIC_NAME {
                            s.drop_name = false;
                        }
                        s
                    })
                    .collect(),
            )
        }
        "sort_by_label" | "sort_by_label_desc" => {
            let mut series = take_vector_arg(args, 0, name)?;
            let names: Vec<&str> = (1..args.len())
                .map(|i| string_arg(args, i, name))
                .collect::<Result<_, _>>()?;
            let value = |s: &StepSeries, n: &str| s.labels.get(n).unwrap_or("").to_string();
            series.sort_by(|a, b| {
                let ord = names
                    .iter()
                    .map(|n| natural_cmp(&value(a, n), &value(b, n)))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.labels.cmp(&b.labels));
                if name == "sort_by_label" {
                    ord
                } else {
                    ord.reverse()
                }
            });
            Value::Vector(series)
        }
        _ => return Ok(None),
    }))
}

/// Compares strings the way people sort them: runs of digits by their number, the rest
/// by characters (`cpu2` before `cpu10`, `1.2.3` before `1.11.3`).
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let n = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let m = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (p, q) = (trim_zeros(&x[..n]), trim_zeros(&y[..m]));
                let ord = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if ord.is_ne() {
                    return ord;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|c| **c == b'0').count();
    &digits[zeros.min(digits.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn numbers_sort_by_value() {
        assert_eq!(natural_cmp("cpu2", "cpu10"), Less);
        assert_eq!(natural_cmp("1.2.3", "1.11.3"), Less);
        assert_eq!(natural_cmp("4m600", "4m1000"), Less);
        assert_eq!(natural_cmp("a", "a"), Equal);
        assert_eq!(natural_cmp("b", "a1"), Greater);
    }
}
