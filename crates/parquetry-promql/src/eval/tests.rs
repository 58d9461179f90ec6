//! End-to-end evaluator tests over an in-memory source.

use super::memory_source::MemorySource;
use super::*;
use crate::{ParseOptions, parse_with};
use parquetry_model::Labels;
use std::time::{Duration, Instant};

fn counters(n: usize) -> MemorySource {
    MemorySource::new(
        (0..n)
            .map(|i| RawSeries {
                labels: Labels::from_pairs([
                    ("__name__", "c".to_string()),
                    ("i", i.to_string()),
                    ("job", (i % 2).to_string()),
                ])
                .into(),
                drop_name: false,
                timestamps: (0..100).map(|k| k * 15_000).collect(),
                values: (0..100).map(|k| (k * (i + 1)) as f64).collect(),
            })
            .collect(),
    )
}

fn run(
    source: &MemorySource,
    q: &str,
    grid: StepGrid,
    options: &EvalOptions,
) -> Result<QueryResult, EvalError> {
    evaluate(
        &parse_with(q, ParseOptions::default()).unwrap(),
        source,
        grid,
        false,
        options,
    )
}

#[test]
fn sum_of_rates_matches_a_hand_computed_value() {
    let source = counters(4);
    let grid = StepGrid {
        start: 600_000,
        end: 900_000,
        step: 60_000,
    };
    let QueryResult::Vector(series) = run(
        &source,
        "sum by (job) (rate(c[5m]))",
        grid,
        &EvalOptions::default(),
    )
    .unwrap() else {
        panic!("a matrix")
    };
    // Series i rises by i+1 every 15 s: rate (i+1)/15; job 0 holds i = 0, 2.
    let job0 = series.iter().find(|s| s.labels.get("job") == Some("0")).unwrap();
    assert_eq!(job0.points.len(), 6);
    for (_, v) in &job0.points {
        assert!((v - 4.0 / 15.0).abs() < 1e-9, "{v}");
    }
}

#[test]
fn sample_limit_is_an_error_not_an_exhausted_machine() {
    let source = counters(10);
    let options = EvalOptions {
        max_samples: 100,
        ..EvalOptions::default()
    };
    let err = run(
        &source,
        "sum(rate(c[5m]))",
        StepGrid {
            start: 0,
            end: 1_500_000,
            step: 60_000,
        },
        &options,
    )
    .unwrap_err();
    assert!(matches!(err, EvalError::TooManySamples), "{err}");
}

#[test]
fn a_passed_deadline_cancels_the_query() {
    let source = counters(2);
    let options = EvalOptions {
        deadline: Some(Instant::now() - Duration::from_secs(1)),
        ..EvalOptions::default()
    };
    let err = run(&source, "c", StepGrid::instant(0), &options).unwrap_err();
    assert_eq!(err, EvalError::Timeout);
}

#[test]
fn a_cancelled_token_stops_the_query() {
    let source = counters(2);
    let options = EvalOptions::default();
    options.cancel.cancel();
    let err = run(&source, "rate(c[5m])", StepGrid::instant(0), &options).unwrap_err();
    assert_eq!(err, EvalError::Cancelled);
}

#[test]
fn topk_breaks_ties_as_prometheus_does_whatever_order_the_source_reads_in() {
    // a and b tie at 5 and c is larger. Prometheus reads series in label order (a, b, c)
    // into a heap of two: c replaces a, the root, so b and c are kept. The source here
    // lists them in another order, as the store does (by series id).
    let gauge = |name: &str, v: f64| RawSeries {
        labels: Labels::from_pairs([("__name__", "g".to_string()), ("s", name.to_string())]).into(),
        drop_name: false,
        timestamps: vec![0].into(),
        values: vec![v].into(),
    };
    let source = MemorySource::new(vec![gauge("c", 7.0), gauge("b", 5.0), gauge("a", 5.0)]);
    let grid = StepGrid {
        start: 0,
        end: 60_000,
        step: 60_000,
    };
    let Ok(QueryResult::Vector(kept)) = run(&source, "topk(2, g)", grid, &EvalOptions::default()) else {
        panic!("topk answers with a vector");
    };
    let names: Vec<&str> = kept.iter().map(|s| s.labels.get("s").unwrap()).collect();
    assert_eq!(names, ["b", "c"]);
}
