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

/// How many segments, over every table, a compaction would rewrite in `manifest`.
pub fn compactable_segments(manifest: &Manifest) -> usize {
    TableKind::ALL
        .iter()
        .map(|&t| maintenance::compactable_segments(manifest, t))
        .sum()
}

fn run(storage: &Storage, drop_before: Option<i64>, grace: Duration) -> Result<MaintenanceReport> {
    let tables: [&dyn DayRewriter; 3] = [&MetricsDays, &LogDays, &SpanDays];
    maintenance::run(storage, &tables, drop_before, grace)
}
