//! Compaction and retention of every table, in one commit.
//!
//! A UTC day of a table is *settled* when one segment holds all of it and nothing else.
//! Compaction rewrites every unsettled day into one segment with one data file, so that
//! small commits do not pile up; retention drops the days before a cutoff. The table
//! crates say how to rewrite one day of their table ([`DayRewriter`]); this module plans,
//! and publishes one commit that adds the rewritten segments of every table and removes
//! the ones they replace, so readers see the store before or after, never between, and
//! answers are the same either way. Removed files stay on disk for the grace period, for
//! readers of older snapshots.

use crate::checkpoint::{self, Vacuumed};
use crate::commit::{self as log_commit, now_ms};
use crate::error::Result;
use crate::log::LogState;
use crate::manifest::{Change, Manifest, Segment, TableKind};
use crate::segment::PARTITION_MS;
use crate::storage::Storage;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// How one table rewrites a day of its data.
pub trait DayRewriter {
    /// The table it rewrites.
    fn table(&self) -> TableKind;

    /// Stages every row of the table on each UTC day starting at one of `days`
    /// (milliseconds) as of `state` of the store in `storage` into one new segment per
    /// day with one data file, and returns them finished (with `committed_at`; none for a
    /// day without rows) and the rows written.
    fn rewrite_days(
        &self,
        storage: &Storage,
        state: &Arc<LogState>,
        days: &[i64],
        committed_at: i64,
    ) -> Result<(Vec<Segment>, u64)>;
}

/// What a compaction or retention did, over every table it was given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaintenanceReport {
    /// The version published, or the unchanged current one.
    pub version: u64,
    /// Segments before and after.
    pub segments: (usize, usize),
    /// Data files before and after.
    pub files: (usize, usize),
    /// Days (of one table each) rewritten into one file each.
    pub days_rewritten: usize,
    /// Days (of one table each) dropped by retention.
    pub days_dropped: usize,
    /// Rows (samples, log entries) written again.
    pub rows_rewritten: u64,
    /// Files deleted by the vacuum that follows.
    pub vacuumed: Vacuumed,
}

/// Rewrites every unsettled day of `tables` in the store in `storage`, drops the days
/// that end at or before `drop_before` (milliseconds) when given, publishes both as one
/// commit, then deletes files unnamed for longer than `grace`.
pub fn run(
    storage: &Storage,
    tables: &[&dyn DayRewriter],
    drop_before: Option<i64>,
    grace: Duration,
) -> Result<MaintenanceReport> {
    let state = log_commit::begin(storage)?;
    let segments_of = |m: &Manifest| -> Vec<Segment> {
        tables
            .iter()
            .flat_map(|t| m.segments_of(t.table()).cloned().collect::<Vec<_>>())
            .collect()
    };
    let counts = |segments: &[Segment]| {
        (
            segments.len(),
            segments.iter().map(|s| s.data_files.len()).sum::<usize>(),
        )
    };
    let before = counts(&segments_of(&state.manifest));
    let plans: Vec<MaintenancePlan> = tables
        .iter()
        .map(|t| {
            let segments: Vec<&Segment> = state.manifest.segments_of(t.table()).collect();
            plan(&segments, drop_before)
        })
        .collect();
    let mut report = MaintenanceReport {
        version: state.manifest.version,
        segments: (before.0, before.0),
        files: (before.1, before.1),
        days_dropped: plans.iter().map(|p| p.dropped_days).sum(),
        ..Default::default()
    };
    let state = if plans.iter().all(|p| p.remove.is_empty()) {
        state
    } else {
        let shared = Arc::new(state.clone());
        let committed_at = now_ms();
        let mut added = Vec::new();
        for (table, plan) in tables.iter().zip(&plans) {
            if !plan.rewrite_days.is_empty() {
                let (segments, rows) =
                    table.rewrite_days(storage, &shared, &plan.rewrite_days, committed_at)?;
                let mut segments = segments;
                carry_metadata(&state.manifest, &plan.remove, &mut segments);
                added.extend(segments);
                report.rows_rewritten += rows;
                report.days_rewritten += plan.rewrite_days.len();
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
            remove: plans.iter().flat_map(|p| p.remove.iter().cloned()).collect(),
        };
        let state = log_commit::publish(storage, state, change)?;
        // Time ranges and the files rows are in changed: write the checkpoint now, so
        // that opening reads the new catalogs directly.
        checkpoint::write_merged(storage, &state)?;
        let after = counts(&segments_of(&state.manifest));
        report.version = state.manifest.version;
        report.segments.1 = after.0;
        report.files.1 = after.1;
        state
    };
    report.vacuumed = checkpoint::vacuum(storage, &state, grace)?;
    Ok(report)
}

/// Moves the metric family declarations of the segments `removed` (ids in `manifest`)
/// to the first of the segments replacing them, each once, so that compaction keeps
/// them; when retention replaces them by nothing, they go with their data.
fn carry_metadata(manifest: &Manifest, removed: &[String], replacing: &mut [Segment]) {
    let Some(first) = replacing.first_mut() else {
        return;
    };
    let declared: Vec<_> = manifest
        .segments
        .iter()
        .filter(|s| removed.contains(&s.id))
        .flat_map(|s| s.metadata.iter().cloned())
        .collect();
    let fresh = parquetry_model::metadata::new_entries(&first.metadata, declared);
    first.metadata.extend(fresh);
}

/// How many segments of `table` a compaction would rewrite in `manifest`: those on UTC
/// days that are not yet one file of one segment (and those sharing a day with them).
/// Long-lived writers compact when this passes a threshold.
pub fn compactable_segments(manifest: &Manifest, table: TableKind) -> usize {
    let segments: Vec<&Segment> = manifest.segments_of(table).collect();
    plan(&segments, None).remove.len()
}

/// Which segments of one table to remove and which days to write again.
#[derive(Debug, Default, PartialEq)]
struct MaintenancePlan {
    remove: Vec<String>,
    rewrite_days: Vec<i64>,
    dropped_days: usize,
}

/// Plans a compaction of `segments` (one table's, oldest first), dropping the days that
/// end at or before `drop_before`.
fn plan(segments: &[&Segment], drop_before: Option<i64>) -> MaintenancePlan {
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
    MaintenancePlan {
        remove: remove.iter().map(|&i| segments[i].id.clone()).collect(),
        rewrite_days: rewrite_days.iter().copied().filter(|&d| !dropped(d)).collect(),
        dropped_days: holders.keys().filter(|&&d| dropped(d)).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::DataFile;

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
            metadata: Vec::new(),
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
        assert_eq!(plan(&[&a, &d], None), MaintenancePlan::default());
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
