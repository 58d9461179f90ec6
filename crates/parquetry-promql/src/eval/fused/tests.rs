//! The fused path against the general one: same series, same order, same values (to the
//! summation order's last bits), and the fused path taken for every shape it serves.

use crate::eval::memory_source::MemorySource;
use crate::eval::{EvalError, EvalOptions, QueryResult, RawSeries, StepGrid, evaluate};
use crate::{ParseOptions, parse_with};
use parquetry_model::Labels;
use parquetry_model::value::stale_nan;
use proptest::prelude::*;

/// A counter per (job, instance, code), rising by its own slope with an occasional reset,
/// a gap and a stale marker, listed in a scrambled order.
fn fleet(n: usize, seed: u64) -> Vec<RawSeries> {
    let mut out: Vec<RawSeries> = (0..n)
        .map(|i| {
            let slope = ((i as u64 * 7 + seed) % 11) as f64 + 0.25;
            let mut v = 0.0;
            let mut timestamps = Vec::new();
            let mut values = Vec::new();
            for k in 0..240i64 {
                if (k + i as i64) % 37 == 5 {
                    continue;
                }
                v = if (k * 13 + i as i64 + seed as i64) % 97 == 0 {
                    slope
                } else {
                    v + slope
                };
                timestamps.push(k * 15_000 + (i as i64 % 5) * 1_000);
                values.push(if k == 120 + i as i64 % 3 { stale_nan() } else { v });
            }
            RawSeries {
                labels: Labels::from_pairs([
                    (
                        "__name__",
                        if i % 5 == 0 { "other_total" } else { "req_total" }.to_string(),
                    ),
                    ("job", format!("job{}", i % 3)),
                    ("instance", format!("host{i}")),
                    ("code", ["200", "500", "404"][i % 3 * (i % 2)].to_string()),
                ])
                .into(),
                drop_name: false,
                timestamps: timestamps.into(),
                values: values.into(),
            }
        })
        .collect();
    let len = out.len();
    for i in 0..len {
        out.swap(i, (i * 31 + seed as usize) % len);
    }
    out
}

fn run(source: &MemorySource, q: &str, grid: StepGrid, fuse: bool) -> (Result<QueryResult, EvalError>, u64) {
    let options = EvalOptions {
        fuse_aggregations: fuse,
        ..EvalOptions::default()
    };
    let expr = parse_with(q, ParseOptions { experimental: true }).unwrap();
    let result = evaluate(&expr, source, grid, grid.start == grid.end, &options);
    (result, options.stats.fused_aggregations())
}

/// Both paths' answers to `q`, which must be the same; returns how often the fused path
/// was taken.
fn assert_same(source: &MemorySource, q: &str, grid: StepGrid) -> u64 {
    let (fused, taken) = run(source, q, grid, true);
    let (general, not_taken) = run(source, q, grid, false);
    assert_eq!(not_taken, 0);
    match (fused, general) {
        (Ok(QueryResult::Vector(f)), Ok(QueryResult::Vector(g))) => {
            let labels =
                |r: &[crate::eval::ResultSeries]| r.iter().map(|s| s.labels.to_string()).collect::<Vec<_>>();
            assert_eq!(labels(&f), labels(&g), "{q}");
            for (fs, gs) in f.iter().zip(&g) {
                assert_eq!(fs.points.len(), gs.points.len(), "{q} {}", fs.labels);
                for ((ft, fv), (gt, gv)) in fs.points.iter().zip(&gs.points) {
                    assert_eq!(ft, gt, "{q}");
                    let close = fv == gv
                        || (fv.is_nan() && gv.is_nan())
                        || (fv - gv).abs() <= 1e-12 * fv.abs().max(gv.abs());
                    assert!(close, "{q} {} at {ft}: fused {fv}, general {gv}", fs.labels);
                }
            }
        }
        (Err(f), Err(g)) => assert_eq!(f, g, "{q}"),
        (f, g) => panic!("{q}: fused {f:?}, general {g:?}"),
    }
    taken
}

const RANGE: StepGrid = StepGrid {
    start: 600_000,
    end: 3_600_000,
    step: 60_000,
};

#[test]
fn the_fused_path_serves_every_folding_aggregation_of_a_range_function_over_a_selector() {
    let source = MemorySource {
        series: fleet(40, 3),
        batch: 7,
    };
    let functions = [
        "rate(req_total[5m])",
        "increase(req_total[1h])",
        "sum_over_time(req_total[10m])",
        "avg_over_time(req_total[2m])",
        "min_over_time({__name__=~\".+_total\"}[5m])",
        "max_over_time(req_total[5m] offset 1m)",
        "count_over_time(req_total[3m])",
        "last_over_time(req_total[5m])",
        "quantile_over_time(0.9, req_total[10m])",
        "predict_linear(req_total[30m], 600)",
        "rate(req_total[5m] @ 1800)",
    ];
    let aggregations = [
        "sum",
        "avg",
        "count",
        "group",
        "min",
        "max",
        "sum by (job)",
        "avg by (job, code)",
        "max without (instance)",
        "count by (__name__)",
        "sum by (__name__, job)",
    ];
    for f in functions {
        for a in aggregations {
            let q = format!("{a} ({f})");
            assert_eq!(assert_same(&source, &q, RANGE), 1, "{q} was not fused");
            assert_eq!(assert_same(&source, &q, StepGrid::instant(1_800_000)), 1, "{q}");
        }
    }
}

#[test]
fn the_dashboard_shapes_are_fused_inside_larger_expressions() {
    let source = MemorySource {
        series: fleet(30, 5),
        batch: 4,
    };
    for (q, fused) in [
        (
            "sum by (job) (rate(req_total{code=\"500\"}[5m])) / sum by (job) (rate(req_total[5m]))",
            2,
        ),
        ("histogram_quantile(0.95, sum by (le) (rate(req_total[5m])))", 1),
        ("deriv(sum by (instance) (rate(req_total[5m]))[30m:1m])", 1),
        ("sum by (job) ((rate(req_total[5m])))", 1),
        // Not a range function over a selector, or not a folding aggregation.
        ("sum by (job) (rate(req_total[5m:1m]))", 0),
        ("sum by (job) (rate(req_total[5m]) * 2)", 0),
        ("stddev by (job) (rate(req_total[5m]))", 0),
        ("topk(3, rate(req_total[5m]))", 0),
        ("quantile(0.5, rate(req_total[5m]))", 0),
    ] {
        assert_eq!(assert_same(&source, q, RANGE), fused, "{q}");
    }
}

#[test]
fn a_mean_whose_sum_overflows_falls_back_to_the_running_mean() {
    let huge = |i: &str, v: f64| RawSeries {
        labels: Labels::from_pairs([("__name__", "g".to_string()), ("i", i.to_string())]).into(),
        drop_name: false,
        timestamps: vec![0, 15_000].into(),
        values: vec![v, v].into(),
    };
    let source = MemorySource {
        series: vec![huge("a", f64::MAX), huge("b", f64::MAX), huge("c", 1.0)],
        batch: 1,
    };
    let grid = StepGrid::instant(30_000);
    assert_eq!(assert_same(&source, "avg(max_over_time(g[1m]))", grid), 0);
    let (Ok(QueryResult::Vector(v)), _) = run(&source, "avg(max_over_time(g[1m]))", grid, true) else {
        panic!("a vector");
    };
    assert!(v[0].points[0].1.is_finite(), "{:?}", v[0].points);
    assert_eq!(assert_same(&source, "sum(max_over_time(g[1m]))", grid), 1);
}

#[test]
fn limits_and_errors_are_the_general_paths() {
    let source = MemorySource {
        series: fleet(10, 1),
        batch: 3,
    };
    // Two groups with the same labels once the name is dropped.
    assert_same(
        &source,
        "sum by (__name__) (rate({__name__=~\".+_total\"}[5m]))",
        RANGE,
    );
    let options = EvalOptions {
        max_samples: 100,
        ..EvalOptions::default()
    };
    let expr = parse_with("sum(rate(req_total[5m]))", ParseOptions::default()).unwrap();
    let err = evaluate(&expr, &source, RANGE, false, &options).unwrap_err();
    assert_eq!(err, EvalError::TooManySamples);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fused_and_general_agree_on_any_fleet(
        n in 1usize..40,
        seed in 0u64..1000,
        batch in 1usize..9,
        op in prop::sample::select(vec!["sum", "avg", "count", "min", "max", "group"]),
        by in prop::sample::select(vec!["", " by (job)", " by (code, job)", " without (instance)", " by (__name__)"]),
        f in prop::sample::select(vec!["rate", "increase", "delta", "irate", "changes", "resets", "max_over_time", "stddev_over_time", "first_over_time"]),
        range in prop::sample::select(vec!["1m", "5m", "17m"]),
    ) {
        let source = MemorySource { series: fleet(n, seed), batch };
        let q = format!("{op}{by} ({f}({{__name__=~\".+_total\"}}[{range}]))");
        prop_assert_eq!(assert_same(&source, &q, RANGE), 1);
    }
}
