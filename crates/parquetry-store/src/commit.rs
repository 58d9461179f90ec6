//! Writing a new store version: stage data files, then publish them with one manifest.

use crate::batch::SeriesSamples;
use crate::error::{Result, StoreError, io_err};
use crate::fsutil;
use crate::manifest::{self, CommitEntry, Manifest, SampleFileEntry};
use crate::metadata_tables::{DirectoryRow, SeriesRow, write_directory_table, write_series_table};
use crate::samples_file::{SeriesPart, write_samples_file};
use parquetry_model::SeriesId;
use parquetry_model::time::format_date;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};

/// Folder of the samples files, relative to the store root.
pub const SAMPLES_DIR: &str = "samples";
/// Folder of the series tables.
pub const SERIES_DIR: &str = "series";
/// Folder of the directory tables.
pub const DIRECTORY_DIR: &str = "directory";
/// Name of the writers' lock file.
pub const LOCK_FILE: &str = "LOCK";

/// Length of a time partition: one UTC day.
pub const PARTITION_MS: i64 = 86_400_000;

/// The points of a commit after which a crash can happen; used to test that none of them
/// leaves a half-visible commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitStep {
    /// The samples files are published under their final names.
    SampleFiles,
    /// The series table is published.
    SeriesFile,
    /// The directory table is published.
    DirectoryFile,
    /// The new manifest is written under its temporary name, not yet renamed.
    ManifestTemp,
}

/// A writer holding the store's lock and the files of one commit in progress.
///
/// Nothing it writes is visible to readers until [`Writer::commit`] publishes a new
/// manifest. Dropping a writer without committing leaves unreferenced files that the next
/// writer removes.
pub struct Writer {
    root: PathBuf,
    _lock: File,
    base: Manifest,
    commit: u64,
    series: HashMap<SeriesId, SeriesRow>,
    directory: Vec<DirectoryRow>,
    files: Vec<SampleFileEntry>,
    samples: u64,
}

impl Writer {
    /// Opens the store at `root` for writing, creating it if the folder has no store yet.
    /// Takes the store's writer lock and removes files that earlier, unfinished commits
    /// left behind.
    pub fn begin(root: &Path) -> Result<Writer> {
        fsutil::ensure_dir(root)?;
        let lock_path = root.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::NotAStore {
                    path: root.to_path_buf(),
                    reason: "another process is writing to this store".to_string(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        let base = match manifest::read_latest(root) {
            Ok(m) => m,
            Err(StoreError::NotAStore { .. }) if !root.join(manifest::MANIFEST_DIR).exists() => {
                manifest::create(root)?
            }
            Err(e) => return Err(e),
        };
        remove_unreferenced(root, &base)?;
        Ok(Writer {
            root: root.to_path_buf(),
            _lock: lock,
            commit: base.next_commit,
            base,
            series: HashMap::new(),
            directory: Vec::new(),
            files: Vec::new(),
            samples: 0,
        })
    }

    /// Samples staged so far.
    pub fn samples_written(&self) -> u64 {
        self.samples
    }

    /// Bytes of samples files staged so far.
    pub fn bytes_written(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Series touched so far.
    pub fn series_written(&self) -> usize {
        self.series.len()
    }

    /// Stages a batch of series as new samples files, one per UTC day they cover.
    ///
    /// Each series must have strictly increasing timestamps and as many values as
    /// timestamps; empty series are ignored. A series may appear again in later batches or
    /// commits; readers merge its parts.
    pub fn write(&mut self, mut batch: Vec<SeriesSamples>) -> Result<()> {
        batch.retain(|s| !s.timestamps.is_empty());
        for s in &batch {
            if s.timestamps.len() != s.values.len() || s.timestamps.windows(2).any(|w| w[0] >= w[1]) {
                return Err(StoreError::InvalidInput(format!(
                    "series {} handed to the writer unsorted or with mismatched lengths",
                    s.labels
                )));
            }
        }
        batch.sort_by(|a, b| (a.metric(), a.id).cmp(&(b.metric(), b.id)));
        let mut partitions: BTreeMap<i64, Vec<SeriesPart>> = BTreeMap::new();
        for (index, s) in batch.iter().enumerate() {
            let mut start = 0;
            while start < s.timestamps.len() {
                let day = s.timestamps[start].div_euclid(PARTITION_MS);
                let end =
                    start + s.timestamps[start..].partition_point(|t| t.div_euclid(PARTITION_MS) == day);
                partitions.entry(day).or_default().push(SeriesPart {
                    index,
                    range: start..end,
                });
                start = end;
            }
        }
        for (day, parts) in partitions {
            let file_index = self.files.len() as u32;
            let partition_start = day * PARTITION_MS;
            let rel = format!(
                "{SAMPLES_DIR}/day={}/c{:012}-{:05}.parquet",
                format_date(partition_start),
                self.commit,
                file_index
            );
            let (ranges, bytes) = write_samples_file(&self.root.join(&rel), &batch, &parts)?;
            let rows: u64 = ranges.iter().map(|r| r.row_count).sum();
            for r in &ranges {
                let s = &batch[r.series];
                self.directory.push(DirectoryRow {
                    file: file_index,
                    id: s.id,
                    row_start: r.row_start,
                    row_count: r.row_count,
                    min_time: r.min_time,
                    max_time: r.max_time,
                });
                let row = self.series.entry(s.id).or_insert_with(|| SeriesRow {
                    id: s.id,
                    labels: s.labels.clone(),
                    min_time: r.min_time,
                    max_time: r.max_time,
                });
                row.min_time = row.min_time.min(r.min_time);
                row.max_time = row.max_time.max(r.max_time);
            }
            self.files.push(SampleFileEntry {
                path: rel,
                partition_start,
                min_time: ranges.iter().map(|r| r.min_time).min().unwrap_or(0),
                max_time: ranges.iter().map(|r| r.max_time).max().unwrap_or(0),
                rows,
                bytes,
            });
            self.samples += rows;
        }
        Ok(())
    }

    /// Publishes everything staged as one new store version and returns its manifest.
    /// With nothing staged, returns the current manifest unchanged.
    pub fn commit(self) -> Result<Manifest> {
        self.commit_with(&mut |_| Ok(()))
    }

    /// Removes the files staged so far and releases the lock.
    pub fn abort(self) -> Result<()> {
        remove_unreferenced(&self.root, &self.base)
    }

    /// [`Writer::commit`] with a hook called after each step; an error from the hook stops
    /// the commit there, as a crash would.
    fn commit_with(self, checkpoint: &mut dyn FnMut(CommitStep) -> Result<()>) -> Result<Manifest> {
        if self.samples == 0 {
            return Ok(self.base);
        }
        checkpoint(CommitStep::SampleFiles)?;
        let series_file = format!("{SERIES_DIR}/c{:012}.parquet", self.commit);
        let mut series: Vec<SeriesRow> = self.series.into_values().collect();
        series.sort_by(|a, b| {
            let key = |r: &SeriesRow| (r.labels.metric_name().unwrap_or("").to_string(), r.id);
            key(a).cmp(&key(b))
        });
        write_series_table(&self.root.join(&series_file), &series)?;
        checkpoint(CommitStep::SeriesFile)?;
        let directory_file = format!("{DIRECTORY_DIR}/c{:012}.parquet", self.commit);
        write_directory_table(&self.root.join(&directory_file), &self.directory)?;
        checkpoint(CommitStep::DirectoryFile)?;
        let mut next = self.base.clone();
        next.version += 1;
        next.next_commit = self.commit + 1;
        next.commits.push(CommitEntry {
            id: self.commit,
            committed_at: now_ms(),
            series_file,
            directory_file,
            sample_files: self.files,
            series: series.len() as u64,
            samples: self.samples,
        });
        let path = manifest::path_of(&self.root, next.version);
        let tmp = fsutil::temp_path(&path);
        fs::write(
            &tmp,
            serde_json::to_vec_pretty(&next).expect("a manifest always serializes"),
        )
        .map_err(io_err(&tmp))?;
        checkpoint(CommitStep::ManifestTemp)?;
        if path.exists() {
            return Err(StoreError::Corrupt {
                path,
                reason: "manifest version exists already: another writer committed concurrently".to_string(),
            });
        }
        fsutil::publish(&path)?;
        Ok(next)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The commit id encoded in a data file name (`c000000000042…`).
fn commit_of(name: &str) -> Option<u64> {
    name.strip_prefix('c')?.get(..12)?.parse().ok()
}

/// Deletes data files of commits that `manifest` does not name, and temporary files.
fn remove_unreferenced(root: &Path, manifest: &Manifest) -> Result<()> {
    let live: HashSet<u64> = manifest.commits.iter().map(|c| c.id).collect();
    for dir in [SAMPLES_DIR, SERIES_DIR, DIRECTORY_DIR, manifest::MANIFEST_DIR] {
        remove_unreferenced_in(&root.join(dir), &live)?;
    }
    Ok(())
}

fn remove_unreferenced_in(dir: &Path, live: &HashSet<u64>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().map_err(io_err(&path))?.is_dir() {
            remove_unreferenced_in(&path, live)?;
            continue;
        }
        let orphan =
            name.ends_with(fsutil::TEMP_SUFFIX) || commit_of(&name).is_some_and(|c| !live.contains(&c));
        if orphan {
            fs::remove_file(&path).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use parquetry_model::{Labels, Matcher};

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
        for stop in [
            CommitStep::SampleFiles,
            CommitStep::SeriesFile,
            CommitStep::DirectoryFile,
            CommitStep::ManifestTemp,
        ] {
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
                        Err(StoreError::Injected(step))
                    } else {
                        Ok(())
                    }
                })
                .unwrap_err();
            assert!(matches!(err, StoreError::Injected(s) if s == stop));
            // The previous version is whole and the new data is invisible.
            assert_eq!(count(root, "a"), 3, "after {stop:?}");
            assert_eq!(count(root, "b"), 0, "after {stop:?}");
            // The next writer cleans up and commits normally.
            let mut w = Writer::begin(root).unwrap();
            w.write(vec![series("b", &[7])]).unwrap();
            let m = w.commit().unwrap();
            assert_eq!(m.version, 2);
            assert_eq!(count(root, "b"), 1);
            // Every data file left is one the manifest names.
            let named: HashSet<String> = m
                .commits
                .iter()
                .flat_map(|c| {
                    let files = c.sample_files.iter().map(|f| f.path.clone());
                    files.chain([c.series_file.clone(), c.directory_file.clone()])
                })
                .map(|p| root.join(p).display().to_string())
                .collect();
            for dir in [SAMPLES_DIR, SERIES_DIR, DIRECTORY_DIR] {
                for file in walk(&root.join(dir)) {
                    assert!(named.contains(&file), "after {stop:?}: leftover {file}");
                }
            }
            assert!(walk(root).iter().all(|f| !f.ends_with(".tmp")), "after {stop:?}");
        }
    }

    fn walk(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
        out
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Writer::begin(dir.path()).unwrap();
        let err = Writer::begin(dir.path()).err().expect("second writer refused");
        assert!(err.to_string().contains("another process is writing"), "{err}");
    }

    #[test]
    fn unsorted_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::begin(dir.path()).unwrap();
        assert!(w.write(vec![series("a", &[2, 1])]).is_err());
    }
}
