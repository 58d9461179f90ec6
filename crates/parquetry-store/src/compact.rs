//! Compaction and retention of the metrics table: how it rewrites a day
//! ([`MetricsDays`]). The table core plans and commits (see
//! [`parquetry_table::maintenance`]); `parquetry::maintenance` runs it on every table.
//! A writer uses the same rewrite to settle what it staged before it commits
//! ([`settle_staged`]).

use crate::batch::SeriesSamples;
use crate::error::Result;
use crate::segment::{PARTITION_MS, SamplesSegment};
use crate::store::Store;
use parquetry_table::maintenance::DayRewriter;
use parquetry_table::{LogState, Manifest, Segment, Storage, TableKind};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Rewrites days of the metrics table: every series' samples of the day, read in
/// batches of series, into one samples file.
#[derive(Clone, Copy, Debug, Default)]
pub struct MetricsDays;

impl DayRewriter for MetricsDays {
    fn table(&self) -> TableKind {
        TableKind::Metrics
    }

    fn rewrite_days(
        &self,
        storage: &Storage,
        state: &Arc<LogState>,
        days: &[i64],
        committed_at: i64,
    ) -> Result<(Vec<Segment>, u64)> {
        let store = Store::at(storage.clone(), (**state).clone())?;
        let (mut added, mut samples) = (Vec::new(), 0);
        for &day in days {
            let mut segment = SamplesSegment::new(storage);
            copy_day(&store, day, &mut segment)?;
            samples += segment.samples();
            added.extend(segment.into_builder().finish(committed_at, &mut |_| Ok(()))?);
        }
        Ok((added, samples))
    }
}

/// Rewrites a staged, uncommitted segment in which some day has several samples files
/// (as when a writer stages a long input a batch at a time, and every batch holds a
/// slice of time of the same series) into a new staged segment with one file per day,
/// each series' rows of the day together. Where two batches hold a sample of a series at
/// the same time, the one staged first is kept, as within a batch. The files
/// of `staged` are deleted, whether the rewrite succeeds or not; on an error nothing of
/// the new segment is left either. A segment without such a day is returned as it is.
pub fn settle_staged(staged: SamplesSegment) -> Result<SamplesSegment> {
    if !staged.has_split_days() {
        return Ok(staged);
    }
    let storage = staged.storage().clone();
    let mut builder = staged.into_builder();
    builder.reverse_file_order();
    let Some(segment) = builder.finish(0, &mut |_| Ok(()))? else {
        return Ok(SamplesSegment::new(&storage));
    };
    let settled = rewrite_segment(&storage, &segment);
    for file in segment.files() {
        storage.delete(file)?;
    }
    settled
}

/// Stages every day of the finished but uncommitted `segment` into a new segment of one
/// file per day, with the segment's metric declarations.
fn rewrite_segment(storage: &Storage, segment: &Segment) -> Result<SamplesSegment> {
    let mut manifest = Manifest::empty();
    manifest.segments.push(segment.clone());
    let store = Store::at(
        storage.clone(),
        LogState {
            manifest,
            ..LogState::empty()
        },
    )?;
    let mut settled = SamplesSegment::new(storage);
    settled.declare(segment.metadata.clone());
    for day in segment.days().collect::<BTreeSet<i64>>() {
        if let Err(e) = copy_day(&store, day, &mut settled) {
            settled.into_builder().discard()?;
            return Err(e);
        }
    }
    Ok(settled)
}

/// Stages every series' samples of the UTC day starting at `day` in `store` as one
/// samples file of `segment`, reading a batch of series at a time.
fn copy_day(store: &Store, day: i64, segment: &mut SamplesSegment) -> Result<()> {
    let selection = store.select_all(day, day + PARTITION_MS - 1)?;
    let n = selection.series().len();
    let step = crate::select::DEFAULT_BATCH_SERIES;
    let batches = (0..n).step_by(step).map(|s| {
        Ok(selection
            .read_each(s..(s + step).min(n))?
            .into_iter()
            .map(SeriesSamples::from)
            .collect())
    });
    segment.write_day(day, batches)
}

#[cfg(test)]
mod tests {
    use crate::batch::SeriesSamples;
    use crate::commit::Writer;
    use crate::segment::PARTITION_MS;
    use crate::store::Store;
    use crate::test_files::files_under;
    use parquetry_model::{Labels, Matcher};

    fn series(name: &str, points: &[(i64, f64)]) -> SeriesSamples {
        let mut s = SeriesSamples::new(Labels::from_pairs([("__name__", name)]));
        s.timestamps = points.iter().map(|p| p.0).collect();
        s.values = points.iter().map(|p| p.1).collect();
        s
    }

    #[test]
    fn batches_of_one_commit_settle_into_one_file_per_day() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let day2 = PARTITION_MS + 5;
        let mut w = Writer::begin(root).unwrap();
        w.write(vec![series("a", &[(1, 1.0), (3, 3.0)]), series("b", &[(2, 2.0)])])
            .unwrap();
        // The second batch repeats a time of the first with another value, and reaches
        // into the next day.
        w.write(vec![series("a", &[(2, 2.0), (3, 30.0), (day2, 4.0)])])
            .unwrap();
        w.settle().unwrap();
        assert_eq!(w.samples_written(), 5, "the repeated time is kept once");
        let manifest = w.commit().unwrap();
        let files: Vec<_> = manifest.segments[0]
            .data_files
            .iter()
            .map(|f| f.partition_start)
            .collect();
        assert_eq!(files, vec![0, PARTITION_MS], "one file per day");
        assert_eq!(
            files_under(&root.join("samples")).len(),
            2,
            "the batches' own files are gone"
        );
        assert_eq!(
            files_under(&root.join("series")).len(),
            1,
            "so is their interim catalog"
        );
        let store = Store::open(root).unwrap();
        let sel = store
            .select(&[Matcher::equal("__name__", "a")], i64::MIN, i64::MAX)
            .unwrap();
        let a = &sel.read_all().unwrap()[0];
        let (ts, vs) = a.samples(0);
        assert_eq!(ts, &[1, 2, 3, day2]);
        assert_eq!(vs, &[1.0, 2.0, 3.0, 4.0], "the value staged first wins");
    }

    #[test]
    fn a_commit_of_one_batch_is_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::begin(dir.path()).unwrap();
        w.write(vec![
            series("a", &[(1, 1.0)]),
            series("b", &[(PARTITION_MS, 2.0)]),
        ])
        .unwrap();
        let before = files_under(&dir.path().join("samples"));
        w.settle().unwrap();
        assert_eq!(
            files_under(&dir.path().join("samples")),
            before,
            "nothing rewritten"
        );
        let manifest = w.commit().unwrap();
        assert_eq!(manifest.segments[0].data_files.len(), 2);
    }
}
