//! Checkpoints, and what they let a writer delete: old records, old checkpoints, the
//! per-segment catalogs that a merged catalog covers, and files no version names.
//!
//! Readers open a store from its newest checkpoint, or from the one before when they
//! listed the log just before the newest appeared; so two checkpoints and the records
//! from the older one on are kept, and everything older is deleted. Data files are
//! deleted only when no version names them, no commit removed them within the grace
//! period (readers of an older snapshot may still be reading them), and they are older
//! than the grace period themselves (a concurrent writer may be about to commit them).

use crate::commit::now_ms;
use crate::error::Result;
use crate::log::{self, Checkpoint, LogFile, LogState, MergedCatalog};
use crate::manifest::TableKind;
use crate::storage::{Storage, TEMP_SUFFIX};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

/// Commits between two checkpoints.
pub const CHECKPOINT_INTERVAL: u64 = 20;

/// How long a removed or unnamed data file is kept before vacuum deletes it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// True when a commit that created `version` should write a checkpoint.
pub fn due(version: u64) -> bool {
    version > 0 && version.is_multiple_of(CHECKPOINT_INTERVAL)
}

/// Writes the checkpoint of `state`'s version with the given merged catalogs, then expires
/// what it makes unnecessary. A checkpoint that exists already is left as it is.
pub fn write(
    storage: &Storage,
    state: &LogState,
    catalogs: BTreeMap<TableKind, MergedCatalog>,
    grace: Duration,
) -> Result<()> {
    let cutoff = now_ms() - grace.as_millis() as i64;
    let checkpoint = Checkpoint {
        manifest: state.manifest.clone(),
        catalogs,
        tombstones: state
            .tombstones
            .iter()
            .filter(|t| t.removed_at > cutoff)
            .cloned()
            .collect(),
    };
    let bytes = serde_json::to_vec(&checkpoint).expect("a checkpoint always serializes");
    storage.put_if_absent(&log::checkpoint_path(state.manifest.version), &bytes)?;
    expire(storage)
}

fn list_log(storage: &Storage) -> Result<(Vec<u64>, Vec<u64>)> {
    let (mut records, mut checkpoints) = (Vec::new(), Vec::new());
    for listed in storage.list(log::LOG_DIR)? {
        match log::parse_log_name(&listed.path) {
            Some(LogFile::Record(v)) => records.push(v),
            Some(LogFile::Checkpoint(v)) => checkpoints.push(v),
            None => {}
        }
    }
    checkpoints.sort_unstable();
    Ok((records, checkpoints))
}

fn read_checkpoint(storage: &Storage, version: u64) -> Result<Option<Checkpoint>> {
    let rel = log::checkpoint_path(version);
    Ok(match storage.read(&rel)? {
        Some(bytes) => Some(
            serde_json::from_slice(&bytes).map_err(|e| crate::StoreError::Corrupt {
                path: storage.path(&rel),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    })
}

fn merged_files(c: &Checkpoint) -> impl Iterator<Item = &str> {
    c.catalogs
        .values()
        .flat_map(|m| [m.catalog_file.as_str(), m.directory_file.as_str()])
}

/// Deletes records and checkpoints older than the second-newest checkpoint, the merged
/// catalogs only those named, and the per-segment catalogs and directories of segments
/// that the second-newest checkpoint's merged catalogs cover.
pub fn expire(storage: &Storage) -> Result<()> {
    let (records, checkpoints) = list_log(storage)?;
    let [.., older, newest] = checkpoints[..] else {
        return Ok(());
    };
    let Some(kept_older) = read_checkpoint(storage, older)? else {
        return Ok(());
    };
    let kept_newest = read_checkpoint(storage, newest)?;
    let kept: HashSet<&str> = merged_files(&kept_older)
        .chain(kept_newest.iter().flat_map(merged_files))
        .collect();
    // Segments the older kept checkpoint covers that an expired checkpoint did not: their
    // own catalogs are read by no one from now on.
    let mut covered_before: HashSet<String> = HashSet::new();
    for &v in checkpoints.iter().filter(|&&v| v < older) {
        if let Some(old) = read_checkpoint(storage, v)? {
            for f in merged_files(&old).filter(|f| !kept.contains(f)) {
                storage.delete(f)?;
            }
            covered_before.extend(old.manifest.segments.iter().map(|s| s.id.clone()));
        }
        storage.delete(&log::checkpoint_path(v))?;
    }
    for s in &kept_older.manifest.segments {
        if kept_older.catalogs.contains_key(&s.table) && !covered_before.contains(&s.id) {
            storage.delete(&s.catalog_file)?;
            storage.delete(&s.directory_file)?;
        }
    }
    for &v in records.iter().filter(|&&v| v < older) {
        storage.delete(&log::record_path(v))?;
    }
    Ok(())
}

/// What a vacuum deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vacuumed {
    /// Files deleted.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Deletes files below `data_dirs` that no version of `state` names and that are older
/// than `grace` (see the module documentation), and temporary files older than `grace`
/// left in the log by crashed commits.
pub fn vacuum(storage: &Storage, state: &LogState, data_dirs: &[&str], grace: Duration) -> Result<Vacuumed> {
    let now = SystemTime::now();
    let cutoff_ms = now_ms() - grace.as_millis() as i64;
    let (_, checkpoints) = list_log(storage)?;
    let mut checkpoint_files: Vec<String> = Vec::new();
    for v in checkpoints {
        if let Some(c) = read_checkpoint(storage, v)? {
            checkpoint_files.extend(merged_files(&c).map(str::to_string));
        }
    }
    let named: HashSet<&str> = state
        .manifest
        .segments
        .iter()
        .flat_map(|s| s.files())
        .chain(checkpoint_files.iter().map(String::as_str))
        .chain(
            state
                .tombstones
                .iter()
                .filter(|t| t.removed_at > cutoff_ms)
                .map(|t| t.path.as_str()),
        )
        .collect();
    let old_enough = |modified: SystemTime| now.duration_since(modified).is_ok_and(|age| age >= grace);
    let mut done = Vacuumed::default();
    for dir in data_dirs {
        for f in storage.list(dir)? {
            if !named.contains(f.path.as_str()) && old_enough(f.modified) {
                storage.delete(&f.path)?;
                done.files += 1;
                done.bytes += f.bytes;
            }
        }
    }
    for f in storage.list(log::LOG_DIR)? {
        if f.path.ends_with(TEMP_SUFFIX) && old_enough(f.modified) {
            storage.delete(&f.path)?;
            done.files += 1;
            done.bytes += f.bytes;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{begin, publish};
    use crate::manifest::{Change, test_segment};

    fn touch(storage: &Storage, rel: &str) {
        storage.put(rel, b"x").unwrap();
    }

    #[test]
    fn expiry_keeps_two_checkpoints_and_the_records_from_the_older_on() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let mut state = begin(&s).unwrap();
        for v in 1..=3 * CHECKPOINT_INTERVAL {
            let id = format!("s{v}");
            let seg = test_segment(&id, &[0]);
            for f in seg.files() {
                touch(&s, f);
            }
            let change = Change {
                operation: "ingest".into(),
                add: vec![seg],
                remove: vec![],
            };
            state = publish(&s, state, change).unwrap();
            if due(state.manifest.version) {
                let merged = MergedCatalog {
                    catalog_file: format!("catalog/v{v}-series.parquet"),
                    directory_file: format!("catalog/v{v}-directory.parquet"),
                    data_files: vec![],
                };
                touch(&s, &merged.catalog_file);
                touch(&s, &merged.directory_file);
                write(
                    &s,
                    &state,
                    BTreeMap::from([(TableKind::Metrics, merged)]),
                    DEFAULT_GRACE,
                )
                .unwrap();
            }
        }
        let (records, checkpoints) = list_log(&s).unwrap();
        assert_eq!(checkpoints, [2 * CHECKPOINT_INTERVAL, 3 * CHECKPOINT_INTERVAL]);
        assert_eq!(records.iter().min(), Some(&(2 * CHECKPOINT_INTERVAL)));
        assert!(s.read("catalog/v20-series.parquet").unwrap().is_none());
        assert!(s.read("catalog/v40-series.parquet").unwrap().is_some());
        // Segments up to the older kept checkpoint lost their own catalogs; data stays.
        assert!(s.read("series/s40.parquet").unwrap().is_none());
        assert!(s.read("series/s41.parquet").unwrap().is_some());
        assert!(s.read("samples/s1-0.parquet").unwrap().is_some());
        // The store reads back whole from the checkpoint.
        let read = log::read_latest(&s).unwrap();
        assert_eq!(read.manifest, state.manifest);
        assert_eq!(read.checkpoint.unwrap().manifest.version, 3 * CHECKPOINT_INTERVAL);
    }

    #[test]
    fn vacuum_spares_named_recently_removed_and_young_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let seg = test_segment("a", &[0]);
        for f in seg.files() {
            touch(&s, f);
        }
        touch(&s, "samples/orphan.parquet");
        let add = Change {
            operation: "ingest".into(),
            add: vec![seg],
            remove: vec![],
        };
        let state = publish(&s, begin(&s).unwrap(), add).unwrap();
        let dirs = ["samples", "series", "directory"];
        // Young files are spared whatever they are.
        assert_eq!(vacuum(&s, &state, &dirs, DEFAULT_GRACE).unwrap().files, 0);
        assert_eq!(vacuum(&s, &state, &dirs, Duration::ZERO).unwrap().files, 1);
        assert!(s.read("samples/orphan.parquet").unwrap().is_none());
        // A removed segment's files stay while its tombstone is in the grace period.
        let drop = Change {
            operation: "retain".into(),
            add: vec![],
            remove: vec!["a".into()],
        };
        let state = publish(&s, state, drop).unwrap();
        assert_eq!(state.tombstones.len(), 3);
        assert_eq!(vacuum(&s, &state, &dirs, DEFAULT_GRACE).unwrap().files, 0);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(vacuum(&s, &state, &dirs, Duration::ZERO).unwrap().files, 3);
    }
}
