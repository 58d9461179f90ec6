//! Compaction and retention change files, never answers: every compliance query gives the
//! same result before and after, on a store built from many small, overlapping commits.

use parquetry::Engine;
use parquetry::maintenance::{compact, retain};
use parquetry::promql::eval::StepGrid;
use parquetry::store::{IngestOptions, SeriesSamples, Writer};
use parquetry::table::Storage;
use parquetry::{QueryOptions, store::Store};
use parquetry_conformance::{compliance, conformance_dir_or_skip};
use std::path::Path;
use std::time::Duration;

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// Copies every sample of `from` into a new store at `to` in commits of `slice` ms each,
/// then commits once more a slice of every tenth series with other values (which, being
/// newer, win over the first ones).
fn rewrite_in_slices(from: &Engine, to: &Path, slice: i64) {
    let all = from
        .raw_samples(r#"{__name__=~".+"}"#, i64::MIN, i64::MAX)
        .unwrap();
    let series: Vec<SeriesSamples> = all
        .iter()
        .flat_map(|b| {
            (0..b.series.len()).map(move |i| {
                let (ts, vs) = b.samples(i);
                SeriesSamples {
                    id: b.series[i].id,
                    labels: b.series[i].labels.clone(),
                    timestamps: ts.to_vec(),
                    values: vs.to_vec(),
                }
            })
        })
        .collect();
    let first = series
        .iter()
        .filter_map(|s| s.timestamps.first())
        .min()
        .copied()
        .unwrap();
    let last = series
        .iter()
        .filter_map(|s| s.timestamps.last())
        .max()
        .copied()
        .unwrap();
    let mut start = first;
    while start <= last {
        let mut writer = Writer::begin(to).unwrap();
        writer.write(cut(&series, start, start + slice, |v| v)).unwrap();
        writer.commit().unwrap();
        start += slice;
    }
    let mut writer = Writer::begin(to).unwrap();
    let tenth: Vec<SeriesSamples> = series.iter().step_by(10).cloned().collect();
    writer
        .write(cut(&tenth, first + 30 * MINUTE, first + 50 * MINUTE, |v| {
            v * 2.0 + 1.0
        }))
        .unwrap();
    writer.commit().unwrap();
}

fn cut(series: &[SeriesSamples], start: i64, end: i64, f: impl Fn(f64) -> f64) -> Vec<SeriesSamples> {
    series
        .iter()
        .map(|s| {
            let r = s.timestamps.partition_point(|&t| t < start)..s.timestamps.partition_point(|&t| t < end);
            SeriesSamples {
                timestamps: s.timestamps[r.clone()].to_vec(),
                values: s.values[r].iter().map(|&v| f(v)).collect(),
                ..s.clone()
            }
        })
        .collect()
}

/// Every compliance query's answer over the last ten minutes of the data, as text (so
/// that NaNs compare equal and every other value bit for bit).
fn answers(store: &Path, queries: &[String]) -> Vec<String> {
    let engine = Engine::open(store).unwrap();
    let grid = StepGrid {
        start: 1_767_577_080_000,
        end: 1_767_577_680_000,
        step: 10_000,
    };
    queries
        .iter()
        .map(|q| format!("{:?}", engine.query_range(q, grid, &QueryOptions::default())))
        .collect()
}

#[test]
fn compaction_and_retention_keep_every_answer() {
    if conformance_dir_or_skip("compaction over the compliance queries").is_none() {
        return;
    }
    let queries: Vec<String> = compliance::queries()
        .unwrap()
        .into_iter()
        .map(|q| q.query)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.om");
    let config = parquetry_datagen::compliance::ComplianceConfig::default();
    parquetry_datagen::compliance::write_openmetrics(&config, std::fs::File::create(&data).unwrap()).unwrap();
    let source = dir.path().join("source");
    Engine::ingest(&source, &[data], &IngestOptions::default(), &mut |_| {}).unwrap();
    let store = dir.path().join("store");
    rewrite_in_slices(&Engine::open(&source).unwrap(), &store, 10 * MINUTE);

    let before = answers(&store, &queries);
    let segments = Store::open(&store).unwrap().manifest().segments.len();
    assert!(segments > 10, "{segments} segments");

    let report = compact(&Storage::open(&store).unwrap(), Duration::ZERO).unwrap();
    assert_eq!(report.segments.1, 1, "one day, one segment: {report:?}");
    assert_eq!(report.files.1, 1);
    assert!(
        report.vacuumed.files > 0,
        "the replaced files are deleted: {report:?}"
    );
    let after = answers(&store, &queries);
    for ((q, b), a) in queries.iter().zip(&before).zip(&after) {
        assert_eq!(b, a, "{q} changed with compaction");
    }
    // Compacting again has nothing to do.
    let again = compact(&Storage::open(&store).unwrap(), Duration::ZERO).unwrap();
    assert_eq!((again.days_rewritten, again.vacuumed.files), (0, 0), "{again:?}");

    // Retention with a cutoff before the data keeps everything; after it, drops it all.
    let kept = retain(
        &Storage::open(&store).unwrap(),
        config.start_ms - DAY,
        Duration::ZERO,
    )
    .unwrap();
    assert_eq!(kept.days_dropped, 0);
    assert_eq!(answers(&store, &queries), before);
    let dropped = retain(
        &Storage::open(&store).unwrap(),
        config.start_ms + 2 * DAY,
        Duration::ZERO,
    )
    .unwrap();
    assert_eq!((dropped.days_dropped, dropped.segments.1), (1, 0), "{dropped:?}");
    let engine = Engine::open(&store).unwrap();
    assert_eq!(engine.store().series_count(), 0);
}
