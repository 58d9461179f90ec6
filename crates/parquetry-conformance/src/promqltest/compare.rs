//! Comparing results with expectations, with the upstream tolerance.

use super::script::{Expectation, SeriesLine};
use parquetry_model::Labels;
use parquetry_model::value::is_stale_nan;
use parquetry_promql::eval::{QueryResult, ResultSeries};
use parquetry_promql::series_notation::Slot;
use std::collections::HashMap;

/// Float equality of the promqltest runner: stale markers only equal stale markers, NaN
/// equals NaN, otherwise equal or within 1e-6 relative to the summed magnitudes.
pub fn float_eq(actual: f64, expected: f64) -> bool {
    const MIN_NORMAL: f64 = 2.2250738585072014e-308;
    if is_stale_nan(actual) || is_stale_nan(expected) {
        return is_stale_nan(actual) && is_stale_nan(expected);
    }
    if actual.is_nan() && expected.is_nan() {
        return true;
    }
    if actual == expected {
        return true;
    }
    let diff = (actual - expected).abs();
    if actual == 0.0 || expected == 0.0 || actual.abs() + expected.abs() < MIN_NORMAL {
        return diff < 1e-6 * MIN_NORMAL;
    }
    diff / (actual.abs() + expected.abs()).min(f64::MAX) < 1e-6
}

/// The points a series line expects on a grid starting at `start` with `step`.
fn expected_points(line: &SeriesLine, start: i64, step: i64) -> Vec<(i64, f64)> {
    line.slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Slot::Value(v) => Some((start + i as i64 * step, *v)),
            Slot::Empty => None,
        })
        .collect()
}

fn compare_points(labels: &Labels, got: &[(i64, f64)], want: &[(i64, f64)]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{labels}: expected {} points, got {}: {got:?}",
            want.len(),
            got.len()
        ));
    }
    for (g, w) in got.iter().zip(want) {
        if g.0 != w.0 || !float_eq(g.1, w.1) {
            return Err(format!("{labels}: expected {w:?}, got {g:?}"));
        }
    }
    Ok(())
}

fn by_labels(series: &[ResultSeries]) -> Result<HashMap<&Labels, &ResultSeries>, String> {
    let mut map = HashMap::new();
    for s in series {
        if map.insert(&s.labels, s).is_some() {
            return Err(format!("result has {} twice", s.labels));
        }
    }
    Ok(map)
}

fn same_series(got: &[ResultSeries], want: &[SeriesLine]) -> Result<(), String> {
    let map = by_labels(got)?;
    // Later lines with the same labels replace earlier ones.
    let mut wanted: HashMap<&Labels, &SeriesLine> = HashMap::new();
    for w in want {
        wanted.insert(&w.labels, w);
    }
    for l in map.keys() {
        if !wanted.contains_key(l) {
            return Err(format!("unexpected series {l}"));
        }
    }
    for l in wanted.keys() {
        if !map.contains_key(l) {
            return Err(format!("missing series {l}"));
        }
    }
    Ok(())
}

/// Checks an instant query's result at time `t`.
pub fn check_instant(result: &QueryResult, expect: &Expectation, t: i64) -> Result<(), String> {
    if let Some(s) = &expect.string {
        return match result {
            QueryResult::String(got) if got == s => Ok(()),
            other => Err(format!("expected string {s:?}, got {other:?}")),
        };
    }
    if let Some(v) = expect.scalar {
        return match result {
            QueryResult::Scalar(points) if points.len() == 1 && float_eq(points[0].1, v) => Ok(()),
            other => Err(format!("expected scalar {v}, got {other:?}")),
        };
    }
    if let Some((from, _to, step)) = expect.range_vector {
        let QueryResult::Range(series) = result else {
            return Err(format!("expected a range vector, got {result:?}"));
        };
        same_series(series, &expect.series)?;
        let map = by_labels(series)?;
        for w in &expect.series {
            compare_points(&w.labels, &map[&w.labels].points, &expected_points(w, from, step))?;
        }
        return Ok(());
    }
    let series = match result {
        QueryResult::Vector(s) => s,
        other => return Err(format!("expected an instant vector, got {other:?}")),
    };
    same_series(series, &expect.series)?;
    let map = by_labels(series)?;
    for w in &expect.series {
        let got = map[&w.labels];
        let want: Vec<f64> = w
            .slots
            .iter()
            .filter_map(|s| match s {
                Slot::Value(v) => Some(*v),
                Slot::Empty => None,
            })
            .collect();
        if want.len() != 1 || got.points.len() != 1 || !float_eq(got.points[0].1, want[0]) {
            return Err(format!("{}: expected {want:?}, got {:?}", w.labels, got.points));
        }
        let _ = t;
    }
    if expect.ordered {
        let got: Vec<&Labels> = series.iter().map(|s| &s.labels).collect();
        let want: Vec<&Labels> = expect.series.iter().map(|s| &s.labels).collect();
        if got != want {
            return Err(format!("expected the order {want:?}, got {got:?}"));
        }
    }
    Ok(())
}

/// Checks a range query's matrix.
pub fn check_range(result: &QueryResult, expect: &Expectation, start: i64, step: i64) -> Result<(), String> {
    let series: Vec<ResultSeries> = match result {
        QueryResult::Vector(s) => s.clone(),
        QueryResult::Scalar(points) => vec![ResultSeries {
            labels: Labels::empty(),
            points: points.clone(),
        }],
        other => return Err(format!("expected a matrix, got {other:?}")),
    };
    if expect.ordered {
        return Err("a matrix cannot be ordered".to_string());
    }
    if series.windows(2).any(|w| w[0].labels > w[1].labels) {
        return Err("matrix is not sorted by labels".to_string());
    }
    same_series(&series, &expect.series)?;
    let map = by_labels(&series)?;
    for w in &expect.series {
        compare_points(
            &w.labels,
            &map[&w.labels].points,
            &expected_points(w, start, step),
        )?;
    }
    Ok(())
}

/// The vector at time `t` of a range result, as an instant result.
pub fn instant_at(result: &QueryResult, t: i64) -> QueryResult {
    match result {
        QueryResult::Scalar(points) => {
            QueryResult::Scalar(points.iter().filter(|p| p.0 == t).copied().collect())
        }
        QueryResult::Vector(series) => QueryResult::Vector(
            series
                .iter()
                .filter_map(|s| {
                    let p = s.points.iter().find(|p| p.0 == t)?;
                    Some(ResultSeries {
                        labels: s.labels.clone(),
                        points: vec![*p],
                    })
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::float_eq;

    #[test]
    fn tolerance_is_relative() {
        assert!(float_eq(1.0, 1.0 + 1e-7));
        assert!(!float_eq(1.0, 1.0 + 1e-5));
        assert!(!float_eq(0.0, 1e-300));
        assert!(float_eq(f64::NAN, f64::NAN));
        assert!(!float_eq(parquetry_model::value::stale_nan(), f64::NAN));
    }
}
