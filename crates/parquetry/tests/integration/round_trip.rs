//! Ingest followed by export gives back every sample exactly: NaN, ±Inf, -0 and stale
//! markers included.

use parquetry::Engine;
use parquetry::store::IngestOptions;
use parquetry::store::ingest::rows::{RowFormat, RowWriter};
use parquetry_datagen::{Dataset, DemoConfig, OutputFormat};
use parquetry_model::Labels;
use parquetry_model::value::stale_nan;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn sorted_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    lines.sort_unstable();
    lines
}

fn ingest(store: &Path, file: PathBuf, options: &IngestOptions) -> parquetry::store::IngestReport {
    Engine::ingest(store, &[file], options, &mut |_| {}).expect("ingest succeeds")
}

fn export_all(store: &Path, format: RowFormat) -> Vec<u8> {
    let engine = Engine::open(store).unwrap();
    let mut out = Vec::new();
    engine
        .export(None, i64::MIN, i64::MAX, format, &mut out, Path::new("<memory>"))
        .unwrap();
    out
}

#[test]
fn demo_dataset_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("demo.jsonl");
    let dataset = Dataset::new(DemoConfig::default());
    let written = dataset
        .write(OutputFormat::JsonLines, std::fs::File::create(&input).unwrap())
        .unwrap();
    assert!(
        written > 2_800_000,
        "about 2,000 series x 6 h at 15 s, got {written}"
    );
    let store = dir.path().join("store");
    // A small batch forces several flushes, so series span several files.
    let options = IngestOptions {
        batch_samples: 1 << 20,
        ..IngestOptions::default()
    };
    let report = ingest(&store, input.clone(), &options);
    assert_eq!(report.samples, written);
    let exported = export_all(&store, RowFormat::JsonLines);
    let original = std::fs::read(&input).unwrap();
    assert!(
        original.windows(7).any(|w| w == b"\"stale\""),
        "the data has stale markers"
    );
    assert!(original.windows(6).any(|w| w == b"\"+Inf\""), "the data has +Inf");
    assert!(original.windows(6).any(|w| w == b"\"-Inf\""), "the data has -Inf");
    assert!(original.windows(5).any(|w| w == b"\"NaN\""), "the data has NaN");
    assert!(
        sorted_lines(&exported) == sorted_lines(&original),
        "export differs from the input"
    );
}

#[test]
fn csv_export_reingests_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("small.csv");
    let config = DemoConfig {
        instances: 2,
        duration_ms: 3_600_000,
        ..DemoConfig::default()
    };
    Dataset::new(config)
        .write(OutputFormat::Csv, std::fs::File::create(&input).unwrap())
        .unwrap();
    let store = dir.path().join("store");
    ingest(&store, input.clone(), &IngestOptions::default());
    let exported = export_all(&store, RowFormat::Csv);
    let original = std::fs::read(&input).unwrap();
    assert!(sorted_lines(&exported) == sorted_lines(&original));
}

/// A random sample: series index, timestamp, value.
fn sample() -> impl Strategy<Value = (usize, i64, f64)> {
    let value = prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(stale_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        (-1000i64..1000).prop_map(|v| v as f64),
    ];
    // Times around day boundaries, so series span partitions, and times from a short
    // list, so that a time repeats within a batch, across batches and across commits.
    let time = prop_oneof![-200_000_000i64..200_000_000, (0i64..8).prop_map(|i| i * 15_000),];
    (0usize..5, time, value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_series_round_trip(
        samples in proptest::collection::vec(sample(), 1..400),
        commits in 1usize..4,
        batch in 1usize..64,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let series: Vec<Labels> = (0..5)
            .map(|i| Labels::from_pairs([("__name__", format!("m{}", i % 2)), ("i", format!("v\"{i}\n"))]))
            .collect();
        // Expected: per series and timestamp, the first value of the earliest commit is
        // superseded by later commits; within a commit the first value wins.
        let mut expected = std::collections::BTreeMap::new();
        let chunk = samples.len().div_ceil(commits);
        for (c, part) in samples.chunks(chunk).enumerate() {
            let file = dir.path().join(format!("in{c}.jsonl"));
            let mut w = RowWriter::new(RowFormat::JsonLines, std::fs::File::create(&file).unwrap()).unwrap();
            let mut seen = std::collections::HashSet::new();
            for &(s, t, v) in part {
                w.write(&series[s], t, v).unwrap();
                if seen.insert((s, t)) {
                    expected.insert((series[s].clone(), t), v);
                }
            }
            w.finish().unwrap();
            let options = IngestOptions { batch_samples: batch, ..IngestOptions::default() };
            ingest(&store, file, &options);
        }
        let exported = export_all(&store, RowFormat::JsonLines);
        let mut w = RowWriter::new(RowFormat::JsonLines, Vec::new()).unwrap();
        for ((labels, t), v) in &expected {
            w.write(labels, *t, *v).unwrap();
        }
        let expected_bytes = w.finish().unwrap();
        prop_assert_eq!(sorted_lines(&exported), sorted_lines(&expected_bytes));
    }
}
