//! Store benchmarks: ingest throughput and selective reads.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parquetry::Engine;
use parquetry::store::ingest::ingest_reader;
use parquetry::store::{Format, IngestOptions};
use parquetry_benches::{demo_store, openmetrics};
use std::hint::black_box;
use std::path::Path;

fn ingest(c: &mut Criterion) {
    let data = openmetrics(500, 1);
    let samples = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .count();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(samples as u64));
    group.sample_size(10);
    group.bench_function("openmetrics_500_series_1h", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            let options = IngestOptions {
                format: Some(Format::OpenMetrics),
                ..IngestOptions::default()
            };
            ingest_reader(
                dir.path(),
                Path::new("bench.om"),
                &data[..],
                &options,
                &mut |_| {},
            )
            .unwrap()
        })
    });
    group.finish();
}

fn select(c: &mut Criterion) {
    let (_guard, store) = demo_store(2000, 6);
    let engine = Engine::open(&store).unwrap();
    let mut group = c.benchmark_group("select");
    group.bench_function("one_series_6h", |b| {
        b.iter(|| {
            black_box(
                engine
                    .raw_samples(r#"up{instance="api-000:9100"}"#, i64::MIN, i64::MAX)
                    .unwrap(),
            )
        })
    });
    group.bench_function("one_metric_480_series_6h", |b| {
        b.iter(|| {
            black_box(
                engine
                    .raw_samples("http_requests_total", i64::MIN, i64::MAX)
                    .unwrap(),
            )
        })
    });
    group.bench_function("open_store_2000_series", |b| {
        b.iter(|| black_box(Engine::open(&store).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, ingest, select);
criterion_main!(benches);
