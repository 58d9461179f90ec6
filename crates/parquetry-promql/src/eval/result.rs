//! The final shape of a query's answer.

use super::value::{RangeValue, StepSeries, Value};
use super::{EvalError, StepGrid};
use foldhash::{HashMap, HashMapExt};
use parquetry_model::Labels;
use rayon::prelude::*;
use std::io;
use std::sync::Arc;

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
                merged.par_sort_by(|a, b| a.labels.cmp(&b.labels));
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
            let labels = super::value::final_labels(Arc::unwrap_or_clone(s.labels), s.drop_name);
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

/// Groups step series by final labels, in first-seen order. Each series' labels and
/// points are finished side by side (rayon); only the grouping runs in order.
pub fn merge_series(series: Vec<StepSeries>, grid: &StepGrid) -> Result<Vec<ResultSeries>, EvalError> {
    let mut finals: Vec<(Labels, Vec<Option<f64>>)> = series
        .into_par_iter()
        .filter(|s| s.points.iter().any(Option::is_some))
        .map(StepSeries::into_final)
        .collect();
    // The first series with each final label set, for every series.
    let first_with: Vec<usize> = {
        let mut index: HashMap<&Labels, usize> = HashMap::with_capacity(finals.len());
        finals
            .iter()
            .enumerate()
            .map(|(i, (labels, _))| *index.entry(labels).or_insert(i))
            .collect()
    };
    for (i, &first) in first_with.iter().enumerate().filter(|(i, first)| i != *first) {
        let (kept, later) = finals.split_at_mut(i);
        merge_points(&mut kept[first].1, std::mem::take(&mut later[0].1))?;
    }
    Ok(finals
        .into_par_iter()
        .zip(first_with)
        .enumerate()
        .filter(|(i, (_, first))| i == first)
        .map(|(_, ((labels, points), _))| ResultSeries {
            labels,
            points: points
                .into_iter()
                .enumerate()
                .filter_map(|(k, p)| p.map(|v| (grid.time(k), v)))
                .collect(),
        })
        .collect())
}

/// Moves the points of a later series into `slot`, the points of the first series with
/// the same final labels; both having a point at one step is an error.
fn merge_points(slot: &mut [Option<f64>], points: Vec<Option<f64>>) -> Result<(), EvalError> {
    for (k, point) in points.into_iter().enumerate() {
        if point.is_none() {
            continue;
        }
        if slot[k].is_some() {
            return Err(EvalError::Execution(
                "vector cannot contain metrics with the same labelset".to_string(),
            ));
        }
        slot[k] = point;
    }
    Ok(())
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

/// Runs rendered together for each thread of the pool: a thread that finishes a run takes
/// the next one of its window instead of waiting for the slowest run to end.
const RUNS_PER_THREAD: usize = 4;

/// Renders `runs` side by side on the thread pool, as many at a time as it has threads,
/// and hands each rendering to `emit` in the runs' order, so that a large answer is put
/// out at the speed of every core without being held whole. The next runs are rendered
/// while `emit` puts out the ones before (on a thread of its own, so `emit` need not be
/// `Send`). Stops at `emit`'s first error.
pub fn emit_in_order<T: Sync, R: Send>(
    runs: &[T],
    render: impl Fn(&T) -> R + Sync,
    mut emit: impl FnMut(R) -> io::Result<()>,
) -> io::Result<()> {
    if let [run] = runs {
        return emit(render(run));
    }
    let width = rayon::current_num_threads().max(1) * RUNS_PER_THREAD;
    let render = &render;
    std::thread::scope(|scope| {
        // One rendered window waits while `emit` works on the one before.
        let (sender, rendered) = std::sync::mpsc::sync_channel::<Vec<R>>(1);
        scope.spawn(move || {
            for window in runs.chunks(width) {
                // A failed send means `emit` stopped at an error: render no more.
                if sender.send(window.par_iter().map(render).collect()).is_err() {
                    break;
                }
            }
        });
        for parts in rendered {
            for part in parts {
                emit(part)?;
            }
        }
        Ok(())
    })
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

    fn step_series(pairs: &[(&str, &str)], drop_name: bool, points: &[Option<f64>]) -> StepSeries {
        StepSeries {
            labels: Labels::from_pairs(pairs.iter().copied()),
            drop_name,
            points: points.to_vec(),
        }
    }

    #[test]
    fn series_that_end_with_the_same_labels_merge_in_first_seen_order() {
        let grid = StepGrid {
            start: 0,
            end: 2_000,
            step: 1_000,
        };
        let series = vec![
            step_series(&[("__name__", "a"), ("j", "x")], true, &[Some(1.0), None, None]),
            step_series(&[("__name__", "a"), ("j", "y")], false, &[None, None, None]),
            step_series(&[("__name__", "b"), ("j", "z")], false, &[None, Some(5.0), None]),
            step_series(
                &[("__name__", "b"), ("j", "x"), ("__unit__", "s")],
                true,
                &[None, Some(2.0), None],
            ),
            step_series(&[("__name__", "c"), ("j", "x")], true, &[None, None, Some(3.0)]),
        ];
        let merged = merge_series(series.clone(), &grid).unwrap();
        let got: Vec<(String, Vec<(i64, f64)>)> = merged
            .iter()
            .map(|s| (s.labels.to_string(), s.points.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    r#"{j="x"}"#.to_string(),
                    vec![(0, 1.0), (1_000, 2.0), (2_000, 3.0)]
                ),
                (r#"b{j="z"}"#.to_string(), vec![(1_000, 5.0)]),
            ]
        );
        // Two of them at one step is an error, however many series merged before.
        let mut clash = series;
        clash.push(step_series(
            &[("__name__", "d"), ("j", "x")],
            true,
            &[None, Some(4.0), None],
        ));
        assert!(
            matches!(merge_series(clash, &grid), Err(EvalError::Execution(m)) if m.contains("same labelset"))
        );
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
                seen.push(part);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, runs.iter().map(usize::to_string).collect::<Vec<_>>());
        let mut taken = 0;
        let renders = std::sync::atomic::AtomicUsize::new(0);
        let stopped = emit_in_order(
            &runs,
            |n| {
                renders.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                n.to_string()
            },
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
        // Rendering stops too: past the window that failed, at most the one waiting and
        // the one being rendered.
        let width = rayon::current_num_threads().max(1) * RUNS_PER_THREAD;
        let bound = (5usize.div_ceil(width) + 2) * width;
        assert!(renders.into_inner() <= bound.min(runs.len()));
    }
}
