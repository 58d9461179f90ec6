//! Checkpoints, and what they let a writer delete: old records and checkpoints, merged
//! catalogs no snapshot will read, the per-segment tables a merged catalog covers, and
//! files no version names.
//!
//! Openers read the newest checkpoint and the records after it; one that finds a file
//! gone (a writer expired it meanwhile) starts again. So a writer that has just written
//! checkpoint K keeps only K and the records from K on. A snapshot reads its directory
//! tables lazily, on its first read of samples: the merged tables of the checkpoint before
//! K, and the per-segment tables of the segments committed since it, are kept until the
//! next checkpoint, so a snapshot can be read for at least one checkpoint interval after
//! it was opened. Data files are deleted only when no version names them, no commit
//! removed their segment within the grace period (readers of an older snapshot may still
//! be reading them), and they are older than the grace period themselves (a concurrent
//! writer may be about to commit them).

use crate::commit::now_ms;
use crate::error::{Result, StoreError};
use crate::log::{self, Checkpoint, LogFile, LogState, MergedCatalog};
use crate::manifest::TableKind;
use crate::storage::{Storage, TEMP_SUFFIX};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Commits between two checkpoints.
pub const CHECKPOINT_INTERVAL: u64 = 10;

/// How long a removed or unnamed data file is kept before vacuum deletes it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// Folder of the merged catalogs that checkpoints name.
pub const CATALOG_DIR: &str = "catalog";

/// True when a commit that created `version` should write a checkpoint.
pub fn due(version: u64) -> bool {
    version > 0 && version.is_multiple_of(CHECKPOINT_INTERVAL)
}

/// The name stem for the merged catalog files of `table` in the checkpoint of `version`:
/// `catalog/<table>/v<version>-<unique id>`, to which `-series.parquet` and
/// `-directory.parquet` are appended.
pub fn merged_stem(table: TableKind, version: u64) -> String {
    format!(
        "{CATALOG_DIR}/{}/v{version:020}-{}",
        table.name(),
        crate::unique_id()
    )
}

fn merged_version(path: &str) -> Option<u64> {
    let name = path.rsplit('/').next()?;
    name.strip_prefix('v')?.get(..20)?.parse().ok()
}

/// Writes the checkpoint of `state`'s version with every table's catalog merged (see
/// [`crate::catalog`]), then expires what it makes unnecessary.
pub fn write_merged(storage: &Storage, state: &LogState) -> Result<()> {
    let shared = Arc::new(state.clone());
    let mut catalogs = BTreeMap::new();
    for table in TableKind::ALL {
        if shared.manifest.segments_of(table).next().is_some() {
            catalogs.insert(
                table,
                crate::catalog::merge::write_merged(storage, &shared, table)?,
            );
        }
    }
    write(storage, state, catalogs, DEFAULT_GRACE)
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
    let (_, checkpoints) = list_log(storage)?;
    let previous_version = checkpoints
        .iter()
        .rev()
        .find(|&&v| v < state.manifest.version)
        .copied();
    let previous = match previous_version {
        Some(v) => read_checkpoint(storage, v)?,
        None => None,
    };
    let covered_before: HashSet<&str> = previous
        .iter()
        .flat_map(|c| c.manifest.segments.iter().map(|s| s.id.as_str()))
        .collect();
    let checkpoint = Checkpoint {
        manifest: state.manifest.clone(),
        catalogs,
        tombstones: state
            .tombstones
            .iter()
            .filter(|t| t.removed_at > cutoff)
            .cloned()
            .collect(),
        newly_covered: state
            .manifest
            .segments
            .iter()
            .filter(|s| !covered_before.contains(s.id.as_str()))
            .map(|s| s.id.clone())
            .collect(),
        previous: previous_version,
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
        Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path: storage.path(&rel),
            reason: e.to_string(),
        })?),
        None => None,
    })
}

/// After checkpoint K (the newest): deletes the records and checkpoints before K, the
/// merged catalogs of checkpoints before the one preceding K, and the per-segment tables
/// of the segments that the preceding checkpoint newly covered.
pub fn expire(storage: &Storage) -> Result<()> {
    let (records, checkpoints) = list_log(storage)?;
    let [.., preceding, newest] = checkpoints[..] else {
        return Ok(());
    };
    if let Some(demoted) = read_checkpoint(storage, preceding)? {
        let tables: HashSet<TableKind> = demoted.catalogs.keys().copied().collect();
        for s in demoted
            .manifest
            .segments
            .iter()
            .filter(|s| tables.contains(&s.table))
        {
            if demoted.newly_covered.contains(&s.id) {
                storage.delete(&s.catalog_file)?;
                storage.delete(&s.directory_file)?;
            }
        }
    }
    for f in storage.list(CATALOG_DIR)? {
        if merged_version(&f.path).is_some_and(|v| v < preceding) {
            storage.delete(&f.path)?;
        }
    }
    // Writers whose base is older than the newest checkpoint learn of it from the floor
    // (see `commit`), which must be raised before any record goes.
    log::raise_floor(storage, newest)?;
    for &v in checkpoints.iter().filter(|&&v| v < newest) {
        storage.delete(&log::checkpoint_path(v))?;
    }
    for &v in records.iter().filter(|&&v| v < newest) {
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

/// The segment id a data, catalog or directory file belongs to: its name up to the
/// first `-` or `.`.
fn segment_of(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split(['-', '.']).next().unwrap_or(name)
}

/// Deletes files in every table's folders (see [`TableKind::folders`]) that no version
/// of `state` names and that are older than `grace` (see the module documentation),
/// merged catalogs no checkpoint needs any more, and temporary files older than `grace`
/// left in the log by crashed commits.
pub fn vacuum(storage: &Storage, state: &LogState, grace: Duration) -> Result<Vacuumed> {
    let now = SystemTime::now();
    let cutoff_ms = now_ms() - grace.as_millis() as i64;
    let named: HashSet<&str> = state.manifest.segments.iter().flat_map(|s| s.files()).collect();
    let protected: HashSet<&str> = state
        .tombstones
        .iter()
        .filter(|t| t.removed_at > cutoff_ms)
        .map(|t| t.segment.as_str())
        .collect();
    let old_enough = |modified: SystemTime| now.duration_since(modified).is_ok_and(|age| age >= grace);
    let mut done = Vacuumed::default();
    let mut delete = |storage: &Storage, f: &crate::storage::Listed| -> Result<()> {
        storage.delete(&f.path)?;
        done.files += 1;
        done.bytes += f.bytes;
        Ok(())
    };
    for dir in TableKind::ALL.iter().flat_map(|t| t.folders().all()) {
        for f in storage.list(dir)? {
            let unnamed = !named.contains(f.path.as_str()) && !protected.contains(segment_of(&f.path));
            if unnamed && old_enough(f.modified) {
                delete(storage, &f)?;
            }
        }
    }
    // Merged catalogs: those of the newest checkpoint and the one before it are kept
    // (see `expire`).
    let (_, checkpoints) = list_log(storage)?;
    let keep_from = match checkpoints.last() {
        Some(&v) => Some(read_checkpoint(storage, v)?.and_then(|c| c.previous).unwrap_or(v)),
        None => None,
    };
    for f in storage.list(CATALOG_DIR)? {
        let stale = match (merged_version(&f.path), keep_from) {
            (Some(v), Some(k)) => v < k,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        if stale && old_enough(f.modified) {
            delete(storage, &f)?;
        }
    }
    for f in storage.list(log::LOG_DIR)? {
        if f.path.ends_with(TEMP_SUFFIX) && old_enough(f.modified) {
            delete(storage, &f)?;
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
    fn expiry_keeps_the_newest_checkpoint_and_what_recent_snapshots_read() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let mut state = begin(&s).unwrap();
        let mut merged_files = Vec::new();
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
                let stem = merged_stem(TableKind::Metrics, v);
                let merged = MergedCatalog {
                    catalog_file: format!("{stem}-series.parquet"),
                    directory_file: format!("{stem}-directory.parquet"),
                    data_files: vec![],
                };
                touch(&s, &merged.catalog_file);
                touch(&s, &merged.directory_file);
                merged_files.push(merged.catalog_file.clone());
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
        assert_eq!(checkpoints, [3 * CHECKPOINT_INTERVAL]);
        assert_eq!(records, [3 * CHECKPOINT_INTERVAL]);
        // The merged catalog before the preceding checkpoint's is gone; the two newest stay.
        let exists = |rel: &str| s.read(rel).unwrap().is_some();
        assert!(!exists(&merged_files[0]));
        assert!(exists(&merged_files[1]) && exists(&merged_files[2]));
        // Segments the preceding checkpoint covered lost their own tables; later ones and
        // every data file stay.
        assert!(!exists(&format!("series/s{}.parquet", 2 * CHECKPOINT_INTERVAL)));
        assert!(exists(&format!(
            "series/s{}.parquet",
            2 * CHECKPOINT_INTERVAL + 1
        )));
        assert!(exists("samples/s1-0.parquet"));
        // The store reads back whole from the checkpoint, and vacuum keeps the merged
        // catalogs a snapshot may still read.
        let read = log::read_latest(&s).unwrap();
        assert_eq!(read.manifest, state.manifest);
        assert_eq!(read.checkpoint.unwrap().previous, Some(2 * CHECKPOINT_INTERVAL));
        vacuum(&s, &read_latest_state(&s), Duration::ZERO).unwrap();
        assert!(exists(&merged_files[1]) && exists(&merged_files[2]));
        assert!(exists("samples/s1-0.parquet"));
    }

    fn read_latest_state(s: &Storage) -> LogState {
        log::read_latest(s).unwrap()
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
        // Young files are spared whatever they are.
        assert_eq!(vacuum(&s, &state, DEFAULT_GRACE).unwrap().files, 0);
        assert_eq!(vacuum(&s, &state, Duration::ZERO).unwrap().files, 1);
        assert!(s.read("samples/orphan.parquet").unwrap().is_none());
        // A removed segment's files stay while its tombstone is in the grace period.
        let drop = Change {
            operation: "retain".into(),
            add: vec![],
            remove: vec!["a".into()],
        };
        let state = publish(&s, state, drop).unwrap();
        assert_eq!(state.tombstones.len(), 1);
        assert_eq!(vacuum(&s, &state, DEFAULT_GRACE).unwrap().files, 0);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(vacuum(&s, &state, Duration::ZERO).unwrap().files, 3);
    }
}
