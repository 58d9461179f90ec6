//! Parse speed on the PromQL compliance corpus (539 queries): Parquetry's nom parser
//! against the `promql-parser` crate.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parquetry_conformance::compliance;
use parquetry_promql::{ParseOptions, parse_with};
use std::hint::black_box;

fn corpus() -> Vec<String> {
    compliance::queries()
        .expect("the compliance corpus")
        .into_iter()
        .map(|q| q.query)
        .collect()
}

fn parse(c: &mut Criterion) {
    let queries = corpus();
    let mut group = c.benchmark_group("parse_compliance_corpus");
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("parquetry", |b| {
        b.iter(|| {
            for q in &queries {
                let _ = black_box(parse_with(q, ParseOptions::default()));
            }
        })
    });
    group.bench_function("promql_parser_crate", |b| {
        b.iter(|| {
            for q in &queries {
                let _ = black_box(promql_parser::parser::parse(q));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
