//! The final shape of a query's answer.

use super::value::{RangeValue, StepSeries, Value};
use super::{EvalError, StepGrid};
use parquetry_model::Labels;
use rayon::prelude::*;
use std::collections::HashMap;
use std::io;

/// One series of a result with its points `(time ms, value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultSeries {
    /// Final labels (dropped metric names are gone).
    pub labels: Labels,
    /// Points in time order.
    pub points: Vec<(i64, f64)>,
}

/// A query's answer, as Prometheus' API shapes it.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryResult {
    /// A scalar: one point per step.
    Scalar(Vec<(i64, f64)>),
    /// An instant vector: for an instant query one point per series, for a range query a
    /// matrix sorted by labels.
    Vector(Vec<ResultSeries>),
    /// A range vector returned by an instant query (`metric[5m]`): raw samples per series.
    Range(Vec<ResultSeries>),
    /// A string.
    String(String),
}

/// Turns the evaluated value into the result: drops metric names marked for removal,
/// merges series that end up with the same labels at different steps, and refuses two
/// series with the same labels at the same step.
pub fn finish(value: Value, grid: &StepGrid, sort_matrix: bool) -> Result<QueryResult, EvalError> {
    Ok(match value {
        Value::Scalar(points) => QueryResult::Scalar(grid.times().zip(points).collect()),
        Value::String(s) => QueryResult::String(s),
        Value::Range(r) => QueryResult::Range(range_points(r)),
        Value::Vector(series) => {
            let mut merged = merge_series(series, grid)?;
            if sort_matrix {
                merged.sort_by(|a, b| a.labels.cmp(&b.labels));
            }
            QueryResult::Vector(merged)
        }
    })
}

fn range_points(r: RangeValue) -> Vec<ResultSeries> {
    let end = r.window_ends.first().copied().unwrap_or(0);
    let mut out: Vec<ResultSeries> = r
        .series
        .into_iter()
        .map(|s| {
            let labels = if s.drop_name {
                super::value::drop_name_labels(&s.labels)
            } else {
                s.labels
            };
            let points = s
                .timestamps
                .iter()
                .zip(&s.values)
                .filter(|(t, v)| {
                    **t > end - r.range_ms && **t <= end && !parquetry_model::value::is_stale_nan(**v)
                })
                .map(|(t, v)| (*t, *v))
                .collect();
            ResultSeries { labels, points }
        })
        .filter(|s: &ResultSeries| !s.points.is_empty())
        .collect();
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    out
}

/// Groups step series by final labels, in first-seen order.
pub fn merge_series(series: Vec<StepSeries>, grid: &StepGrid) -> Result<Vec<ResultSeries>, EvalError> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut slots: Vec<(Labels, Vec<Option<f64>>)> = Vec::new();
    for s in series {
        if s.points.iter().all(Option::is_none) {
            continue;
        }
        let labels = s.final_labels();
        match index.get(&labels) {
            Some(&i) => {
                let slot = &mut slots[i].1;
                for (k, p) in s.points.into_iter().enumerate() {
                    if p.is_some() {
                        if slot[k].is_some() {
                            return Err(EvalError::Execution(
                                "vector cannot contain metrics with the same labelset".to_string(),
                            ));
                        }
                        slot[k] = p;
                    }
                }
            }
            None => {
                index.insert(labels.clone(), slots.len());
                slots.push((labels, s.points));
            }
        }
    }
    Ok(slots
        .into_iter()
        .map(|(labels, points)| ResultSeries {
            labels,
            points: points
                .into_iter()
                .enumerate()
                .filter_map(|(k, p)| p.map(|v| (grid.time(k), v)))
                .collect(),
        })
        .collect())
}

/// The series cut into consecutive runs of whole series holding about `points_per_run`
/// points each (at least one point), so that writers can format runs side by side and
/// put them out in order. No run is empty; an empty `series` gives no run.
pub fn point_runs(series: &[ResultSeries], points_per_run: usize) -> Vec<&[ResultSeries]> {
    let share = points_per_run.max(1);
    let mut runs = Vec::new();
    let (mut start, mut taken) = (0, 0);
    for (i, s) in series.iter().enumerate() {
        taken += s.points.len();
        if taken >= share {
            runs.push(&series[start..=i]);
            (start, taken) = (i + 1, 0);
        }
    }
    if start < series.len() {
        runs.push(&series[start..]);
    }
    runs
}

/// Points a writer formats in one piece on one thread: enough to make a thread's start
/// worth it, few enough that the pieces in flight stay a few megabytes.
pub const RUN_POINTS: usize = 16 * 1024;

/// Renders `runs` side by side on the thread pool, as many at a time as it has threads,
/// and hands each rendering to `emit` in the runs' order, so that a large answer is put
/// out at the speed of every core without being held whole. Stops at `emit`'s first error.
pub fn emit_in_order<T: Sync>(
    runs: &[T],
    render: impl Fn(&T) -> String + Sync,
    mut emit: impl FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    if let [run] = runs {
        return emit(&render(run));
    }
    for window in runs.chunks(rayon::current_num_threads().max(1)) {
        let parts: Vec<String> = window.par_iter().map(&render).collect();
        for part in &parts {
            emit(part)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_points(counts: &[usize]) -> Vec<ResultSeries> {
        counts
            .iter()
            .map(|&n| ResultSeries {
                labels: Labels::from_pairs([("n", n.to_string())]),
                points: (0..n as i64).map(|t| (t, 1.0)).collect(),
            })
            .collect()
    }

    #[test]
    fn runs_hold_whole_series_in_order_and_about_the_share_each() {
        let series = with_points(&[3, 0, 4, 1, 1, 0, 5, 0]);
        let runs = point_runs(&series, 4);
        let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
        assert_eq!(lens, [3, 4, 1]);
        let rejoined: Vec<&ResultSeries> = runs.iter().flat_map(|r| r.iter()).collect();
        assert_eq!(rejoined, series.iter().collect::<Vec<_>>());
        assert!(point_runs(&[], 4).is_empty());
        assert_eq!(point_runs(&with_points(&[0, 0]), 0).len(), 1);
    }

    #[test]
    fn renderings_are_emitted_in_order_until_the_first_error() {
        let runs: Vec<usize> = (0..37).collect();
        let mut seen = Vec::new();
        emit_in_order(
            &runs,
            |n| n.to_string(),
            |part| {
                seen.push(part.to_string());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, runs.iter().map(usize::to_string).collect::<Vec<_>>());
        let mut taken = 0;
        let stopped = emit_in_order(
            &runs,
            |n| n.to_string(),
            |_| {
                taken += 1;
                match taken {
                    5 => Err(io::Error::other("full")),
                    _ => Ok(()),
                }
            },
        );
        assert!(stopped.is_err());
        assert_eq!(taken, 5);
    }
}
