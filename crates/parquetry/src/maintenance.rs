//! Compaction and retention of the whole store: every table (metrics, logs, spans), in one
//! commit (see [`parquetry_table::maintenance`]).

use parquetry_logs::compact::LogDays;
use parquetry_spans::compact::SpanDays;
use parquetry_store::MetricsDays;
use parquetry_table::error::Result;
use parquetry_table::maintenance::{self, DayRewriter};
use parquetry_table::{Manifest, Storage, TableKind};
use std::time::Duration;

pub use parquetry_table::maintenance::MaintenanceReport;

/// Rewrites every unsettled day of every table of the store in `storage` into one
/// segment per table and day, in one commit, then deletes files unnamed for longer than
/// `grace`.
pub fn compact(storage: &Storage, grace: Duration) -> Result<MaintenanceReport> {
    run(storage, None, grace)
}

/// Drops every day that ends at or before `keep_from` (milliseconds) from every table of
/// the store in `storage`, compacting what is kept, in one commit, then deletes files
/// unnamed for longer than `grace`.
pub fn retain(storage: &Storage, keep_from: i64, grace: Duration) -> Result<MaintenanceReport> {
    run(storage, Some(keep_from), grace)
}

/// Merges the tail of every table of the store in `storage` (see
/// [`parquetry_table::maintenance::merge_tail`]), one commit per table that has one,
/// then deletes files unnamed for longer than `grace`; the report sums the tables'.
pub fn merge_tails(storage: &Storage, grace: Duration) -> Result<MaintenanceReport> {
    let mut total = MaintenanceReport::default();
    for table in TABLES {
        let report = maintenance::merge_tail(storage, table, grace)?;
        total.version = report.version;
        total.segments.0 += report.segments.0;
        total.segments.1 += report.segments.1;
        total.files.0 += report.files.0;
        total.files.1 += report.files.1;
        total.days_rewritten += report.days_rewritten;
        total.rows_rewritten += report.rows_rewritten;
        total.vacuumed.files += report.vacuumed.files;
        total.vacuumed.bytes += report.vacuumed.bytes;
    }
    Ok(total)
}

/// How many segments, over every table, a tail merge would rewrite in `manifest`.
pub fn tail_segments(manifest: &Manifest) -> usize {
    TableKind::ALL
        .iter()
        .map(|&t| maintenance::tail_segments(manifest, t))
        .sum()
}

/// Every table's day rewriter.
const TABLES: [&dyn DayRewriter; 3] = [&MetricsDays, &LogDays, &SpanDays];

fn run(storage: &Storage, drop_before: Option<i64>, grace: Duration) -> Result<MaintenanceReport> {
    maintenance::run(storage, &TABLES, drop_before, grace)
}

#[cfg(test)]
mod tests {
    use crate::{Database, WriteBatch};
    use parquetry_model::Labels;
    use parquetry_store::SeriesSamples;
    use parquetry_table::TableKind;

    const T0: i64 = 1_767_225_600_000;

    fn up(points: impl IntoIterator<Item = (i64, f64)>) -> WriteBatch {
        let mut series = SeriesSamples::new(Labels::from_pairs([("__name__", "up")]));
        for (t, v) in points {
            series.timestamps.push(T0 + t);
            series.values.push(v);
        }
        WriteBatch {
            series: vec![series],
            ..WriteBatch::default()
        }
    }

    #[test]
    fn small_commits_merge_among_themselves_and_the_newest_value_still_wins() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store"))
            .unwrap()
            .with_auto_compaction(Some(4));
        db.write_batch(up((0..100).map(|t| (t * 1000, 0.0))), "receive")
            .unwrap();
        let big = db.snapshot().store().manifest().segments[0].id.clone();
        for i in 1..=30 {
            // Each commit rewrites the sample at 50 s and adds one after the first 100.
            db.write_batch(up([(50_000, i as f64), ((99 + i) * 1000, i as f64)]), "receive")
                .unwrap();
        }
        let engine = db.snapshot();
        let manifest = engine.store().manifest();
        let segments: Vec<&parquetry_table::Segment> = manifest.segments_of(TableKind::Metrics).collect();
        assert_eq!(segments[0].id, big, "the large first segment is never rewritten");
        assert!(segments.len() <= 8, "{} segments", segments.len());
        let batches = engine.raw_samples("up", i64::MIN, i64::MAX).unwrap();
        let (times, values) = batches[0].samples(0);
        assert_eq!(times.len(), 130);
        let at_50 = times.iter().position(|&t| t == T0 + 50_000).unwrap();
        assert_eq!(values[at_50], 30.0, "the last commit's value");
        // A full compaction settles the day and answers the same.
        db.compact(std::time::Duration::ZERO).unwrap();
        let after = db.snapshot().raw_samples("up", i64::MIN, i64::MAX).unwrap();
        assert_eq!(after[0].samples(0), (times, values));
        assert_eq!(db.snapshot().store().manifest().segments.len(), 1);
    }
}
