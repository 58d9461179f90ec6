//! Writing a new store version: stage a segment, then publish it with one commit record.

use crate::batch::SeriesSamples;
use crate::error::Result;
use crate::segment::SamplesSegment;
use parquetry_model::MetricMetadata;
use parquetry_table::commit as log_commit;
use parquetry_table::{CommitStep, LogState, Manifest, Storage};
use std::path::Path;

/// A writer staging the files of one commit.
///
/// Nothing it writes is visible to readers until [`Writer::commit`] publishes a commit
/// record. Writers need no lock: several may write to one store at once, and each commit
/// lands as its own version. Dropping a writer without committing leaves unnamed files
/// that vacuum removes after the grace period ([`Writer::abort`] removes them at once).
pub struct Writer {
    storage: Storage,
    base: LogState,
    operation: String,
    segment: SamplesSegment,
}

impl Writer {
    /// Opens the store at `root` for writing, creating it if the folder has no store yet
    /// and converting a store of layout version 1.
    pub fn begin(root: &Path) -> Result<Writer> {
        let storage = Storage::open(root)?;
        let base = log_commit::begin(&storage)?;
        Ok(Writer {
            segment: SamplesSegment::new(&storage),
            storage,
            base,
            operation: "write".to_string(),
        })
    }

    /// Names what the commit does in its record (`ingest`, `write`, …).
    pub fn with_operation(mut self, operation: &str) -> Writer {
        self.operation = operation.to_string();
        self
    }

    /// Samples staged so far.
    pub fn samples_written(&self) -> u64 {
        self.segment.samples()
    }

    /// Bytes of samples files staged so far.
    pub fn bytes_written(&self) -> u64 {
        self.segment.bytes()
    }

    /// Series touched so far.
    pub fn series_written(&self) -> usize {
        self.segment.series()
    }

    /// Stages a batch of series as new samples files, one per UTC day they cover.
    ///
    /// Each series must have strictly increasing timestamps and as many values as
    /// timestamps; empty series are ignored. A series may appear again in later batches or
    /// commits; readers merge its parts.
    pub fn write(&mut self, batch: Vec<SeriesSamples>) -> Result<()> {
        self.segment.write(batch)
    }

    /// Rewrites what was staged so far when a day has several samples files (a long input
    /// staged a batch at a time) into one file per day, each series' rows together, so
    /// that readers find every series in one run of rows. Nothing changes otherwise;
    /// [`Writer::commit`] settles before it publishes. On an error nothing stays staged.
    pub fn settle(&mut self) -> Result<()> {
        let staged = std::mem::replace(&mut self.segment, SamplesSegment::new(&self.storage));
        self.segment = crate::compact::settle_staged(staged)?;
        Ok(())
    }

    /// Records metric family declarations (type, help, unit) to publish with the
    /// samples; those the store already holds are left out. They are kept only when the
    /// commit has samples.
    pub fn declare(&mut self, metadata: Vec<MetricMetadata>) {
        let known = self.base.manifest.metric_metadata();
        self.segment
            .declare(parquetry_model::metadata::new_entries(&known, metadata));
    }

    /// Publishes everything staged as one new store version and returns its manifest,
    /// after [`Writer::settle`]. With nothing staged, returns the current manifest unchanged. Every
    /// [`parquetry_table::checkpoint::CHECKPOINT_INTERVAL`] versions the commit also writes a checkpoint.
    pub fn commit(self) -> Result<Manifest> {
        self.commit_with(&mut |_| Ok(()))
    }

    /// Removes the files staged so far.
    pub fn abort(self) -> Result<()> {
        self.segment.into_builder().discard()
    }

    /// [`Writer::commit`] with a hook called after each step; an error from the hook stops
    /// the commit there, as a crash would.
    fn commit_with(mut self, hook: &mut dyn FnMut(CommitStep) -> Result<()>) -> Result<Manifest> {
        self.settle()?;
        let segments = vec![self.segment.into_builder()];
        let state = log_commit::commit_segments(&self.storage, self.base, &self.operation, segments, hook)?;
        Ok(state.manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::error::StoreError;
    use crate::segment::PARTITION_MS;
    use crate::test_files::files_under;
    use parquetry_model::{Labels, Matcher};
    use parquetry_table::{TableKind, checkpoint};
    use std::collections::HashSet;
    use std::fs;
    use std::time::Duration;

    fn series(name: &str, ts: &[i64]) -> SeriesSamples {
        let mut s = SeriesSamples::new(Labels::from_pairs([("__name__", name)]));
        s.timestamps = ts.to_vec();
        s.values = ts.iter().map(|t| *t as f64).collect();
        s
    }

    fn count(root: &Path, name: &str) -> usize {
        let store = Store::open(root).unwrap();
        let sel = store
            .select(&[Matcher::equal("__name__", name)], i64::MIN, i64::MAX)
            .unwrap();
        sel.read_all().unwrap().iter().map(|b| b.len()).sum()
    }

    #[test]
    fn no_step_of_a_commit_is_half_visible() {
        for stop in CommitStep::ALL {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            let mut w = Writer::begin(root).unwrap();
            w.write(vec![series("a", &[1, 2, 3])]).unwrap();
            w.commit().unwrap();
            let mut w = Writer::begin(root).unwrap();
            w.write(vec![series("a", &[4, 5]), series("b", &[PARTITION_MS * 3])])
                .unwrap();
            let err = w
                .commit_with(&mut |step| {
                    if step == stop {
                        Err(StoreError::InvalidInput(format!("injected after {step:?}")))
                    } else {
                        Ok(())
                    }
                })
                .unwrap_err();
            assert!(err.to_string().contains("injected"), "{err}");
            // The previous version is whole and the new data is invisible.
            assert_eq!(count(root, "a"), 3, "after {stop:?}");
            assert_eq!(count(root, "b"), 0, "after {stop:?}");
            // The next writer commits normally.
            let mut w = Writer::begin(root).unwrap();
            w.write(vec![series("b", &[7])]).unwrap();
            let m = w.commit().unwrap();
            assert_eq!(m.version, 2);
            assert_eq!(count(root, "b"), 1);
            // Vacuum without a grace period leaves only the files the manifest names.
            let storage = Storage::local(root);
            let state = parquetry_table::log::read_latest(&storage).unwrap();
            checkpoint::vacuum(&storage, &state, Duration::ZERO).unwrap();
            let named: HashSet<String> = m
                .segments
                .iter()
                .flat_map(|s| s.files())
                .map(|p| root.join(p).display().to_string())
                .collect();
            for dir in TableKind::Metrics.folders().all() {
                for file in files_under(&root.join(dir)) {
                    assert!(named.contains(&file), "after {stop:?}: leftover {file}");
                }
            }
            assert!(
                files_under(root).iter().all(|f| !f.ends_with(".tmp")),
                "after {stop:?}"
            );
        }
    }

    #[test]
    fn racing_writers_all_land_and_nothing_is_lost_or_doubled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        Writer::begin(root).unwrap().abort().unwrap();
        let writers = 4;
        let commits = 3 * checkpoint::CHECKPOINT_INTERVAL as usize / writers + 1;
        std::thread::scope(|scope| {
            for w in 0..writers {
                scope.spawn(move || {
                    for c in 0..commits {
                        let mut writer = Writer::begin(root).unwrap();
                        let t = (w * 1000 + c) as i64;
                        writer.write(vec![series("race", &[t])]).unwrap();
                        writer.commit().unwrap();
                    }
                });
            }
        });
        let store = Store::open(root).unwrap();
        assert_eq!(store.manifest().version, (writers * commits) as u64);
        let sel = store
            .select(&[Matcher::equal("__name__", "race")], i64::MIN, i64::MAX)
            .unwrap();
        let batch = &sel.read_all().unwrap()[0];
        assert_eq!(batch.len(), writers * commits, "every sample once");
    }

    #[test]
    fn a_layout_1_store_opens_and_its_first_commit_converts_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut w = Writer::begin(root).unwrap();
        w.write(vec![series("a", &[1, 2, 3])]).unwrap();
        let m = w.commit().unwrap();
        // Rewrite the log as the layout-1 manifest that named the same files.
        let seg = &m.segments[0];
        let file = &seg.data_files[0];
        let v1 = serde_json::json!({
            "format": 1, "version": 1, "next_commit": 2,
            "commits": [{
                "id": 1, "committed_at": 0,
                "series_file": seg.catalog_file, "directory_file": seg.directory_file,
                "sample_files": [{
                    "path": file.path, "partition_start": file.partition_start,
                    "min_time": file.min_time, "max_time": file.max_time,
                    "rows": file.rows, "bytes": file.bytes
                }],
                "series": 1, "samples": 3
            }]
        });
        fs::remove_dir_all(root.join("_log")).unwrap();
        fs::create_dir_all(root.join("manifest")).unwrap();
        fs::write(
            root.join("manifest/v00000000000000000001.json"),
            serde_json::to_vec(&v1).unwrap(),
        )
        .unwrap();
        assert_eq!(count(root, "a"), 3, "a layout-1 store opens as it is");
        let legacy = Store::open(root).unwrap();
        assert!(legacy.state().legacy);

        let mut w = Writer::begin(root).unwrap();
        w.write(vec![series("b", &[5])]).unwrap();
        let m = w.commit().unwrap();
        assert_eq!(m.version, 3, "converted at version 2, then the commit");
        assert_eq!((count(root, "a"), count(root, "b")), (3, 1));
        assert!(!Store::open(root).unwrap().state().legacy);
        // Older builds find a last layout-1 manifest that says the layout moved on.
        let moved: serde_json::Value =
            serde_json::from_slice(&fs::read(root.join("manifest/v00000000000000000002.json")).unwrap())
                .unwrap();
        assert_eq!(moved["format"], 2);
    }

    #[test]
    fn unsorted_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::begin(dir.path()).unwrap();
        assert!(w.write(vec![series("a", &[2, 1])]).is_err());
    }
}
