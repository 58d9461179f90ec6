//! Compaction and retention of the metrics table.
//!
//! A UTC day is *settled* when one segment holds all of it and nothing else. Compaction
//! rewrites every unsettled day into one segment with one samples file, so that small
//! commits do not pile up; retention drops the days before a cutoff. Both run as one
//! commit that adds the rewritten segments and removes the ones they replace, so readers
//! see the store before or after, never between, and answers are the same either way.
//! Removed files stay on disk for the grace period, for readers of older snapshots.

use crate::error::Result;
use crate::segment::{PARTITION_MS, SamplesSegment};
use crate::store::Store;
use parquetry_table::checkpoint::{self, Vacuumed};
use parquetry_table::commit::{self as log_commit, now_ms};
use parquetry_table::{Change, Manifest, Segment, Storage, TableKind};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What a compaction or retention did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaintenanceReport {
    /// The version published, or the unchanged current one.
    pub version: u64,
    /// Segments of the metrics table before and after.
    pub segments: (usize, usize),
    /// Samples files of the metrics table before and after.
    pub files: (usize, usize),
    /// Days rewritten into one file each.
    pub days_rewritten: usize,
    /// Days dropped by retention.
    pub days_dropped: usize,
    /// Samples written again.
    pub samples_rewritten: u64,
    /// Files deleted by the vacuum that follows.
    pub vacuumed: Vacuumed,
}

/// Rewrites every unsettled day of the store in `storage` into one segment per day, then
/// deletes files unnamed for longer than `grace`.
pub fn compact(storage: &Storage, grace: Duration) -> Result<MaintenanceReport> {
    run(storage, None, grace)
}

/// Drops every day that ends at or before `keep_from` (milliseconds) from the store in
/// `storage`, compacting what is kept, then deletes files unnamed for longer than `grace`.
pub fn retain(storage: &Storage, keep_from: i64, grace: Duration) -> Result<MaintenanceReport> {
    run(storage, Some(keep_from), grace)
}

/// How many segments a compaction would rewrite in `manifest`: those on UTC days that are
/// not yet one file of one segment (and those sharing a day with them). Long-lived
/// writers compact when this passes a threshold.
pub fn compactable_segments(manifest: &Manifest) -> usize {
    let segments: Vec<&Segment> = manifest.segments_of(TableKind::Metrics).collect();
    plan(&segments, None).remove.len()
}

/// Which segments to remove and which days to write again.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    remove: Vec<String>,
    rewrite_days: Vec<i64>,
    dropped_days: usize,
}

/// Plans a compaction of `segments` (one table's, oldest first), dropping the days that
/// end at or before `drop_before`.
fn plan(segments: &[&Segment], drop_before: Option<i64>) -> Plan {
    let mut holders: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, s) in segments.iter().enumerate() {
        for day in s.days().collect::<BTreeSet<_>>() {
            holders.entry(day).or_default().push(i);
        }
    }
    let settled = |day: i64| match holders[&day][..] {
        [only] => segments[only].data_files.len() == 1,
        _ => false,
    };
    let dropped = |day: i64| drop_before.is_some_and(|cut| day + PARTITION_MS <= cut);
    // Segments on an unsettled day, and then every segment sharing a day with one of
    // them: the rewritten days then hold all their data and no one else's.
    let mut chosen: BTreeSet<usize> = holders
        .iter()
        .filter(|(day, _)| !settled(**day))
        .flat_map(|(_, h)| h.iter().copied())
        .collect();
    loop {
        let days: BTreeSet<i64> = chosen.iter().flat_map(|&i| segments[i].days()).collect();
        let grown: BTreeSet<usize> = days.iter().flat_map(|d| holders[d].iter().copied()).collect();
        if grown.len() == chosen.len() {
            break;
        }
        chosen = grown;
    }
    let rewrite_days: BTreeSet<i64> = chosen.iter().flat_map(|&i| segments[i].days()).collect();
    // Settled days before the cutoff go with their segment.
    let dropped_settled: Vec<usize> = holders
        .iter()
        .filter(|(day, _)| settled(**day) && dropped(**day))
        .map(|(_, h)| h[0])
        .collect();
    let remove: BTreeSet<usize> = chosen.iter().copied().chain(dropped_settled).collect();
    Plan {
        remove: remove.iter().map(|&i| segments[i].id.clone()).collect(),
        rewrite_days: rewrite_days.iter().copied().filter(|&d| !dropped(d)).collect(),
        dropped_days: holders.keys().filter(|&&d| dropped(d)).count(),
    }
}

fn run(storage: &Storage, drop_before: Option<i64>, grace: Duration) -> Result<MaintenanceReport> {
    let storage = storage.clone();
    let state = log_commit::begin(&storage)?;
    let counts = |segments: &[&Segment]| {
        (
            segments.len(),
            segments.iter().map(|s| s.data_files.len()).sum::<usize>(),
        )
    };
    let segments: Vec<&Segment> = state.manifest.segments_of(TableKind::Metrics).collect();
    let plan = plan(&segments, drop_before);
    let (segments_before, files_before) = counts(&segments);
    let mut report = MaintenanceReport {
        version: state.manifest.version,
        segments: (segments_before, segments_before),
        files: (files_before, files_before),
        days_dropped: plan.dropped_days,
        ..Default::default()
    };
    let state = if plan.remove.is_empty() {
        state
    } else {
        let store = Store::at(storage.clone(), state.clone())?;
        let mut added = Vec::new();
        for &day in &plan.rewrite_days {
            let mut segment = SamplesSegment::new(&storage);
            let selection = store.select_all(day, day + PARTITION_MS - 1);
            let n = selection.series().len();
            let step = crate::select::DEFAULT_BATCH_SERIES;
            let batches = (0..n)
                .step_by(step)
                .map(|s| selection.read_each(s..(s + step).min(n)));
            segment.write_day(day, batches)?;
            report.samples_rewritten += segment.samples();
            if let Some(s) = segment.into_builder().finish(now_ms(), &mut |_| Ok(()))? {
                added.push(s);
            }
        }
        let change = Change {
            operation: if drop_before.is_some() {
                "retain"
            } else {
                "compact"
            }
            .to_string(),
            add: added,
            remove: plan.remove.clone(),
        };
        let state = log_commit::publish(&storage, state, change)?;
        // Series' time ranges and the files they are in changed: write the checkpoint
        // now, so that opening reads the new catalog directly.
        checkpoint::write_merged(&storage, &state)?;
        let after: Vec<&Segment> = state.manifest.segments_of(TableKind::Metrics).collect();
        let (segments_after, files_after) = counts(&after);
        report.version = state.manifest.version;
        report.segments.1 = segments_after;
        report.files.1 = files_after;
        report.days_rewritten = plan.rewrite_days.len();
        state
    };
    report.vacuumed = checkpoint::vacuum(&storage, &state, grace)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_table::DataFile;

    fn segment(id: &str, days: &[i64]) -> Segment {
        Segment {
            id: id.to_string(),
            table: TableKind::Metrics,
            committed_at: 0,
            catalog_file: String::new(),
            directory_file: String::new(),
            data_files: days
                .iter()
                .map(|&d| DataFile {
                    path: format!("{id}-{d}"),
                    partition_start: d * PARTITION_MS,
                    min_time: d * PARTITION_MS,
                    max_time: d * PARTITION_MS,
                    rows: 1,
                    bytes: 1,
                })
                .collect(),
            entities: 1,
            rows: days.len() as u64,
        }
    }

    #[test]
    fn plans_rewrite_unsettled_days_with_every_segment_on_them() {
        let (a, b, c, d) = (
            segment("a", &[1]),
            segment("b", &[2, 3]),
            segment("c", &[3]),
            segment("d", &[5]),
        );
        let p = plan(&[&a, &b, &c, &d], None);
        assert_eq!(p.remove, ["b", "c"]);
        assert_eq!(p.rewrite_days, [2 * PARTITION_MS, 3 * PARTITION_MS]);
        // Settled days alone: nothing to do.
        assert_eq!(plan(&[&a, &d], None), Plan::default());
    }

    #[test]
    fn retention_drops_days_ending_by_the_cutoff() {
        let (a, b, d) = (segment("a", &[1]), segment("b", &[2, 3]), segment("d", &[5]));
        let p = plan(&[&a, &b, &d], Some(3 * PARTITION_MS));
        assert_eq!(p.remove, ["a", "b"]);
        assert_eq!(p.rewrite_days, [3 * PARTITION_MS]);
        assert_eq!(p.dropped_days, 2);
    }
}
