//! PromQL evaluation over a store: aggregations of range functions on the fused path
//! (each series' windows folded straight into its group) and on the general path (the
//! range function's series built first, then aggregated), range functions alone;
//! and the writing of a large answer as Prometheus' JSON.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parquetry::promql::eval::api_json::{Extras, write_api_json};
use parquetry::promql::eval::{EvalOptions, StepGrid};
use parquetry::{Engine, QueryOptions};
use parquetry_benches::demo_store;
use std::hint::black_box;

/// Six hours at a 60 s step over the demo fleet's six hours.
fn grid() -> StepGrid {
    let start = parquetry_datagen::config::DEFAULT_START_MS;
    StepGrid {
        start,
        end: start + 6 * 3_600_000,
        step: 60_000,
    }
}

fn aggregations(c: &mut Criterion) {
    let (_guard, store) = demo_store(2000, 6);
    let engine = Engine::open(&store).unwrap();
    let mut group = c.benchmark_group("promql_eval");
    group.sample_size(20);
    let queries = [
        ("sum_by_job_rate", "sum by (job) (rate(http_requests_total[5m]))"),
        (
            "histogram_quantile_sum_by_le_rate",
            "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        ),
        (
            "max_by_instance_max_over_time",
            "max by (instance) (max_over_time(node_hwmon_temp_celsius[10m]))",
        ),
        (
            "avg_avg_over_time",
            "avg(avg_over_time(node_filesystem_avail_bytes[1h]))",
        ),
    ];
    for (name, q) in queries {
        for (path, fuse) in [("fused", true), ("unfused", false)] {
            let options = QueryOptions {
                eval: EvalOptions {
                    fuse_aggregations: fuse,
                    ..EvalOptions::default()
                },
                ..QueryOptions::default()
            };
            group.bench_function(format!("{name}/{path}"), |b| {
                b.iter(|| black_box(engine.query_range(q, grid(), &options).unwrap()))
            });
        }
    }
    // Range functions alone, each with its own kernel: extrapolated rates, compensated
    // linear regression, and a quantile of every window; and the members a `topk` keeps
    // at each step.
    let alone = [
        ("rate_alone", "rate(http_requests_total[5m])"),
        (
            "predict_linear_alone",
            "predict_linear(node_filesystem_avail_bytes[1h], 4 * 3600)",
        ),
        (
            "quantile_over_time_alone",
            "quantile_over_time(0.9, node_hwmon_temp_celsius[10m])",
        ),
        ("topk_of_rate", "topk(5, rate(node_cpu_seconds_total[5m]))"),
    ];
    for (name, q) in alone {
        let options = QueryOptions::default();
        group.bench_function(name, |b| {
            b.iter(|| black_box(engine.query_range(q, grid(), &options).unwrap()))
        });
    }
    group.finish();
}

/// The matrix of `rate` over every request counter (about 35 bytes a point) written to a
/// sink, in bytes a second.
fn api_json(c: &mut Criterion) {
    let (_guard, store) = demo_store(2000, 6);
    let engine = Engine::open(&store).unwrap();
    let result = engine
        .query_range("rate(http_requests_total[5m])", grid(), &QueryOptions::default())
        .unwrap();
    let write = |out: &mut dyn std::io::Write| {
        write_api_json(&result, false, grid().start, Extras::default(), &mut { out }).unwrap()
    };
    let mut counted = Vec::new();
    write(&mut counted);
    let mut group = c.benchmark_group("api_json");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(counted.len() as u64));
    group.bench_function("rate_matrix", |b| b.iter(|| write(&mut std::io::sink())));
    group.finish();
}

criterion_group!(benches, aggregations, api_json);
criterion_main!(benches);
