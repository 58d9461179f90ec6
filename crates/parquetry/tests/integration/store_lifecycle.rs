//! Creating a store, and cancelling an ingest: a cancelled ingest commits nothing of the file
//! it was reading and keeps earlier commits.

use parquetry::Engine;
use parquetry::store::{IngestError, IngestOptions};
use std::fmt::Write as _;

fn counter_file(dir: &std::path::Path, name: &str, metric: &str, lines: usize) -> std::path::PathBuf {
    let mut text = String::new();
    for i in 0..lines {
        writeln!(text, "{metric}{{i=\"{}\"}} {i} {}", i % 50, 1_000 + i).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_cancelled_ingest_keeps_the_previous_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let first = counter_file(dir.path(), "first.prom", "kept", 100);
    Engine::ingest(&store, &[first], &IngestOptions::default(), &mut |_| {}).unwrap();

    let second = counter_file(dir.path(), "second.prom", "dropped", 40_000);
    let options = IngestOptions::default();
    options.cancel.cancel();
    let err = Engine::ingest(&store, &[second], &options, &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, parquetry::Error::Ingest(IngestError::Cancelled { .. })),
        "{err}"
    );

    let engine = Engine::open(&store).unwrap();
    assert_eq!(engine.series("kept").unwrap().len(), 50);
    assert!(engine.series("dropped").unwrap().is_empty());
}

#[test]
fn create_makes_an_empty_store_that_ingest_fills() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("new").join("store");
    let engine = Engine::create(&store).unwrap();
    assert!(engine.series("up").unwrap().is_empty());
    let file = counter_file(dir.path(), "up.prom", "up", 10);
    Engine::ingest(&store, &[file], &IngestOptions::default(), &mut |_| {}).unwrap();
    let engine = Engine::create(&store).unwrap();
    assert_eq!(engine.series("up").unwrap().len(), 10);
}
