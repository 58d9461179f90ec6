//! Shared set-up for the benchmarks: demo data in memory and in a store.

pub mod compare;
pub mod prometheus_server;

use parquetry::Engine;
use parquetry::store::IngestOptions;
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use std::path::PathBuf;

/// The demo dataset for `series` series over `hours` hours at 15 s, as OpenMetrics text.
pub fn openmetrics(series: usize, hours: i64) -> Vec<u8> {
    let config = DemoConfig {
        duration_ms: hours * 3_600_000,
        ..DemoConfig::with_series(series)
    };
    let mut out = Vec::new();
    Dataset::new(config)
        .write(OutputFormat::OpenMetrics, &mut out)
        .expect("writing to memory cannot fail");
    out
}

/// A temporary store holding the demo dataset; the folder lives as long as the guard.
pub fn demo_store(series: usize, hours: i64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let input = dir.path().join("demo.om");
    std::fs::write(&input, openmetrics(series, hours)).expect("write the input");
    let store = dir.path().join("store");
    Engine::ingest(&store, &[input], &IngestOptions::default(), &mut |_| {}).expect("ingest");
    (dir, store)
}
