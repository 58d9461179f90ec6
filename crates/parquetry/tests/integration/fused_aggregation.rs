//! Aggregations of range functions over the store take the fused path (counted in the
//! query's stats, not timed) and answer as the general path does.

use parquetry::promql::eval::{EvalOptions, QueryResult, StepGrid};
use parquetry::store::IngestOptions;
use parquetry::{Engine, QueryOptions};
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};

/// The demo fleet at 4 instances over 2 hours, in a store.
fn demo_engine(dir: &std::path::Path) -> Engine {
    let input = dir.join("demo.om");
    let config = DemoConfig {
        duration_ms: 2 * 3_600_000,
        instances: 4,
        ..DemoConfig::default()
    };
    Dataset::new(config)
        .write(OutputFormat::OpenMetrics, std::fs::File::create(&input).unwrap())
        .unwrap();
    let store = dir.join("store");
    Engine::ingest(&store, &[input], &IngestOptions::default(), &mut |_| {}).unwrap();
    Engine::open(&store).unwrap()
}

/// The answer to `q` and how many aggregations were fused.
fn run(engine: &Engine, q: &str, fuse: bool) -> (QueryResult, u64) {
    let options = QueryOptions {
        eval: EvalOptions {
            fuse_aggregations: fuse,
            ..EvalOptions::default()
        },
        ..QueryOptions::default()
    };
    let start = parquetry_datagen::config::DEFAULT_START_MS + 600_000;
    let grid = StepGrid {
        start,
        end: start + 3_600_000,
        step: 60_000,
    };
    let result = engine.query_range(q, grid, &options).unwrap();
    (result, options.eval.stats.fused_aggregations())
}

#[test]
fn dashboard_aggregations_of_range_functions_are_fused_with_the_general_paths_answers() {
    let dir = tempfile::tempdir().unwrap();
    let engine = demo_engine(dir.path());
    for (q, fused) in [
        ("sum by (job) (rate(http_requests_total[5m]))", 1),
        ("avg by (instance) (increase(http_requests_total[1h]))", 1),
        ("count by (job) (count_over_time(http_requests_total[5m]))", 1),
        ("min by (job) (min_over_time(node_hwmon_temp_celsius[10m]))", 1),
        (
            "max without (le) (max_over_time(http_request_duration_seconds_bucket[10m]))",
            1,
        ),
        ("sum(avg_over_time(node_filesystem_avail_bytes[1h]))", 1),
        (
            r#"sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum by (job) (rate(http_requests_total[5m]))"#,
            2,
        ),
        (
            "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
            1,
        ),
        (
            "deriv(sum by (instance) (rate(node_cpu_seconds_total[5m]))[30m:1m])",
            1,
        ),
        ("rate(http_requests_total[5m])", 0),
        ("topk(5, rate(node_cpu_seconds_total[5m]))", 0),
    ] {
        let (fused_answer, taken) = run(&engine, q, true);
        let (general_answer, not_taken) = run(&engine, q, false);
        assert_eq!((taken, not_taken), (fused, 0), "{q}");
        let (QueryResult::Vector(f), QueryResult::Vector(g)) = (&fused_answer, &general_answer) else {
            panic!("{q}: a matrix from both paths");
        };
        assert!(!g.is_empty(), "{q} selects data");
        assert_eq!(f.len(), g.len(), "{q}");
        for (fs, gs) in f.iter().zip(g) {
            assert_eq!(fs.labels, gs.labels, "{q}");
            assert_eq!(fs.points.len(), gs.points.len(), "{q} {}", fs.labels);
            for ((ft, fv), (gt, gv)) in fs.points.iter().zip(&gs.points) {
                assert_eq!(ft, gt);
                let close = fv == gv
                    || (fv.is_nan() && gv.is_nan())
                    || (fv - gv).abs() <= 1e-12 * fv.abs().max(gv.abs());
                assert!(close, "{q} {} at {ft}: fused {fv}, general {gv}", fs.labels);
            }
        }
    }
}
