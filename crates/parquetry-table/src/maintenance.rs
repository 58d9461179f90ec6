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
//!
//! A long-lived writer (a receiver committing every few seconds) would rewrite its
//! current day again and again that way, at a cost growing with the day. It merges the
//! *tail* of a table instead ([`merge_tail`]): the newest segments, back to the first one
//! that holds more rows than all those after it, rewritten from themselves alone into one
//! segment per day. Merged tails grow like the digits of a binary counter, so every row is
//! rewritten about log₂(rows per commit) times a day instead of once per merge, and a
//! table keeps a few segments per day until the next full compaction.

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
        let committed_at = now_ms();
        let mut added = Vec::new();
        for (table, plan) in tables.iter().zip(&plans) {
            added.extend(rewrite(storage, &state, *table, plan, committed_at, &mut report)?);
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

/// Rewrites the days `plan` names from the segments it removes (which hold every row of
/// those days that is to be kept), as of `state`; counts them in `report`.
fn rewrite(
    storage: &Storage,
    state: &LogState,
    table: &dyn DayRewriter,
    plan: &MaintenancePlan,
    committed_at: i64,
    report: &mut MaintenanceReport,
) -> Result<Vec<Segment>> {
    if plan.rewrite_days.is_empty() {
        return Ok(Vec::new());
    }
    // The version as if it held the removed segments alone. Its checkpoint's catalogs
    // stay (the segments they cover may have no tables of their own any more); their
    // rows in the other segments' files are skipped, as for files removed since.
    let mut removed = state.clone();
    removed.manifest.segments.retain(|s| plan.remove.contains(&s.id));
    let removed = Arc::new(removed);
    let (mut segments, rows) = table.rewrite_days(storage, &removed, &plan.rewrite_days, committed_at)?;
    carry_metadata(&state.manifest, &plan.remove, &mut segments);
    report.rows_rewritten += rows;
    report.days_rewritten += plan.rewrite_days.len();
    Ok(segments)
}

/// Merges the tail of `table` (see the module documentation) in one commit when it has
/// at least two segments, then deletes files unnamed for longer than `grace`. Answers
/// stay the same: the merged segments take the tail's place, after every segment they
/// share a day with.
pub fn merge_tail(storage: &Storage, table: &dyn DayRewriter, grace: Duration) -> Result<MaintenanceReport> {
    let state = log_commit::begin(storage)?;
    let segments: Vec<&Segment> = state.manifest.segments_of(table.table()).collect();
    let plan = plan_tail(&segments);
    let files = |m: &Manifest| {
        m.segments_of(table.table())
            .map(|s| s.data_files.len())
            .sum::<usize>()
    };
    let before = (segments.len(), files(&state.manifest));
    let mut report = MaintenanceReport {
        version: state.manifest.version,
        segments: (before.0, before.0),
        files: (before.1, before.1),
        ..Default::default()
    };
    let state = if plan.remove.is_empty() {
        state
    } else {
        let added = rewrite(storage, &state, table, &plan, now_ms(), &mut report)?;
        let change = Change {
            operation: "merge".to_string(),
            add: added,
            remove: plan.remove,
        };
        let state = log_commit::publish(storage, state, change)?;
        if checkpoint::due(state.manifest.version) {
            checkpoint::write_merged(storage, &state)?;
        }
        report.version = state.manifest.version;
        report.segments.1 = state.manifest.segments_of(table.table()).count();
        report.files.1 = files(&state.manifest);
        state
    };
    report.vacuumed = checkpoint::vacuum(storage, &state, grace)?;
    Ok(report)
}

/// How many segments of `table` a tail merge would rewrite in `manifest` (0 when the
/// tail is a single segment). Long-lived writers merge when this passes a threshold.
pub fn tail_segments(manifest: &Manifest, table: TableKind) -> usize {
    let segments: Vec<&Segment> = manifest.segments_of(table).collect();
    plan_tail(&segments).remove.len()
}

/// Plans the merge of the tail of `segments` (one table's, oldest first): from the
/// newest, every segment holding no more rows than all those after it together.
fn plan_tail(segments: &[&Segment]) -> MaintenancePlan {
    let mut newer_rows = 0u64;
    let mut start = segments.len();
    for (i, s) in segments.iter().enumerate().rev() {
        if start < segments.len() && s.rows > newer_rows {
            break;
        }
        newer_rows += s.rows;
        start = i;
    }
    let tail = &segments[start..];
    if tail.len() < 2 {
        return MaintenancePlan::default();
    }
    let days: BTreeSet<i64> = tail.iter().flat_map(|s| s.days()).collect();
    MaintenancePlan {
        remove: tail.iter().map(|s| s.id.clone()).collect(),
        rewrite_days: days.into_iter().collect(),
        dropped_days: 0,
    }
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

    fn sized(id: &str, days: &[i64], rows: u64) -> Segment {
        Segment {
            rows,
            ..segment(id, days)
        }
    }

    #[test]
    fn tails_grow_like_a_binary_counter() {
        let (big, mid) = (sized("big", &[1, 2], 100), sized("mid", &[2], 30));
        let small: Vec<Segment> = (0..4).map(|i| sized(&format!("s{i}"), &[2, 3], 10)).collect();
        let mut all = vec![&big, &mid];
        all.extend(&small);
        // 40 rows after `mid` outweigh its 30: it joins them; `big` holds more than all.
        let p = plan_tail(&all);
        assert_eq!(p.remove, ["mid", "s0", "s1", "s2", "s3"]);
        assert_eq!(p.rewrite_days, [2 * PARTITION_MS, 3 * PARTITION_MS]);
        // Two small segments after a larger one: only they merge.
        let p = plan_tail(&[&big, &mid, &small[0], &small[1]]);
        assert_eq!(p.remove, ["s0", "s1"]);
        // One segment, or one after a larger one: nothing to merge.
        assert_eq!(plan_tail(&[&big, &small[0]]), MaintenancePlan::default());
        assert_eq!(plan_tail(&[&small[0]]), MaintenancePlan::default());
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
