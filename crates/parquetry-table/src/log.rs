//! The commit log: how a store's versions are written and read back.
//!
//! Version N of a store is the record `_log/v<N>.json`, which holds only the change that
//! commit made (segments added and removed). Every few commits a checkpoint
//! `_log/v<N>.checkpoint.json` holds the whole manifest at version N, with merged catalogs
//! of each table, so that opening a store reads the newest checkpoint and the records
//! after it, however long the history. A store written before the log existed (layout
//! version 1, `manifest/v<N>.json`) is read as it is and converted on its first commit.

use crate::error::{Result, StoreError};
use crate::manifest::{Change, FORMAT_VERSION, Manifest, Segment, TableKind};
use crate::manifest_v1;
use crate::storage::Storage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Folder of the commit log, relative to the store root.
pub const LOG_DIR: &str = "_log";

/// One commit: the change it made to the version before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitRecord {
    /// Layout version.
    pub format: u32,
    /// The version this commit created.
    pub version: u64,
    /// Wall-clock time of the commit, milliseconds since the epoch.
    pub committed_at: i64,
    /// When true, `change.add` is the whole version and earlier records are not needed
    /// (the first record of a store, and the one that converts a version-1 store).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full: bool,
    /// What the commit changed.
    #[serde(flatten)]
    pub change: Change,
}

/// The whole state at one version, written every few commits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The manifest at this version.
    pub manifest: Manifest,
    /// Per table, the catalog of every segment merged into one catalog and one directory.
    pub catalogs: BTreeMap<TableKind, MergedCatalog>,
    /// Segments removed from the store recently, whose files readers of older versions
    /// may still read: vacuum keeps them for the grace period.
    pub tombstones: Vec<Tombstone>,
    /// The segments this checkpoint covers that the checkpoint before it did not; their
    /// own catalog and directory files are deleted once a newer checkpoint exists.
    #[serde(default)]
    pub newly_covered: Vec<String>,
    /// The version of the checkpoint before this one, whose merged catalogs snapshots
    /// opened from it may still read.
    #[serde(default)]
    pub previous: Option<u64>,
}

/// One table's catalog and directory, merged over every segment of a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedCatalog {
    /// The merged catalog file (one row per series or stream).
    pub catalog_file: String,
    /// The merged directory file; its file indexes refer to `data_files`.
    pub directory_file: String,
    /// The data files the directory refers to, by path.
    pub data_files: Vec<String>,
}

/// A segment removed by a commit, and when. Its files are those whose names start with
/// its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The removed segment's id.
    pub segment: String,
    /// Time of the commit that removed it, milliseconds since the epoch.
    pub removed_at: i64,
}

/// A version as read from the log: the manifest, the checkpoint it was read from (if
/// any), and the files removed since that checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct LogState {
    /// The manifest of the version.
    pub manifest: Manifest,
    /// The newest checkpoint at or before the version.
    pub checkpoint: Option<Checkpoint>,
    /// Segments removed by commits after the checkpoint, with the checkpoint's own.
    pub tombstones: Vec<Tombstone>,
    /// True when the store still has layout version 1 and no log; its first commit
    /// converts it.
    pub legacy: bool,
}

impl LogState {
    /// The state of a store with no commits.
    pub fn empty() -> LogState {
        LogState {
            manifest: Manifest::empty(),
            checkpoint: None,
            tombstones: Vec::new(),
            legacy: false,
        }
    }

    /// Applies a published record.
    pub(crate) fn advance(&mut self, record: &CommitRecord) {
        if record.full {
            self.manifest = Manifest {
                format: FORMAT_VERSION,
                version: record.version,
                segments: record.change.add.clone(),
            };
            self.checkpoint = None;
            return;
        }
        self.tombstones
            .extend(record.change.remove.iter().map(|id| Tombstone {
                segment: id.clone(),
                removed_at: record.committed_at,
            }));
        self.manifest = std::mem::take(&mut self.manifest).apply(&record.change);
        self.manifest.version = record.version;
    }
}

/// Path of the floor: records below the version it names may have been expired.
pub const FLOOR_PATH: &str = "_log/_floor.json";

/// The log's floor (0 when nothing was ever expired).
pub fn read_floor(storage: &Storage) -> Result<u64> {
    #[derive(Deserialize)]
    struct Floor {
        version: u64,
    }
    match storage.read(FLOOR_PATH)? {
        Some(bytes) => Ok(parse::<Floor>(storage, FLOOR_PATH, &bytes)?.version),
        None => Ok(0),
    }
}

/// Raises the log's floor to `version` (never lowers it).
pub fn raise_floor(storage: &Storage, version: u64) -> Result<()> {
    if read_floor(storage)? < version {
        storage.put(FLOOR_PATH, format!("{{\"version\": {version}}}").as_bytes())?;
    }
    Ok(())
}

/// Path of the record of `version`.
pub fn record_path(version: u64) -> String {
    format!("{LOG_DIR}/v{version:020}.json")
}

/// Path of the checkpoint of `version`.
pub fn checkpoint_path(version: u64) -> String {
    format!("{LOG_DIR}/v{version:020}.checkpoint.json")
}

/// What a file name in the log folder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogFile {
    Record(u64),
    Checkpoint(u64),
}

pub(crate) fn parse_log_name(path: &str) -> Option<LogFile> {
    let name = path.strip_prefix(LOG_DIR)?.strip_prefix('/')?.strip_prefix('v')?;
    if let Some(v) = name.strip_suffix(".checkpoint.json") {
        return v.parse().ok().map(LogFile::Checkpoint);
    }
    name.strip_suffix(".json")?.parse().ok().map(LogFile::Record)
}

fn parse<T: for<'de> Deserialize<'de>>(storage: &Storage, rel: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        path: storage.path(rel),
        reason: e.to_string(),
    })
}

/// Reads the record of `version`, if it exists.
pub(crate) fn read_record(storage: &Storage, version: u64) -> Result<Option<CommitRecord>> {
    let rel = record_path(version);
    let Some(bytes) = storage.read(&rel)? else {
        return Ok(None);
    };
    let record: CommitRecord = parse(storage, &rel, &bytes)?;
    check_format(storage, record.format)?;
    if record.version != version {
        return Err(StoreError::Corrupt {
            path: storage.path(&rel),
            reason: format!("record says version {}", record.version),
        });
    }
    Ok(Some(record))
}

fn check_format(storage: &Storage, format: u32) -> Result<()> {
    if format > FORMAT_VERSION {
        return Err(StoreError::NotAStore {
            path: storage.root().to_path_buf(),
            reason: format!(
                "store layout version {format} is not supported (this build reads versions 1 to {FORMAT_VERSION})"
            ),
        });
    }
    Ok(())
}

/// Reads the newest version of the store.
///
/// A file that disappears while it is read (a concurrent writer expired it after a newer
/// checkpoint) makes the read start over, a few times at most.
pub fn read_latest(storage: &Storage) -> Result<LogState> {
    let mut attempt = 0;
    loop {
        match read_once(storage) {
            Err(StoreError::Corrupt { reason, .. }) if reason == VANISHED && attempt < 5 => attempt += 1,
            other => return other,
        }
    }
}

/// The newest committed version, from a listing of the log alone (no file is read);
/// `None` for a store of layout version 1, which has no log.
pub fn latest_version(storage: &Storage) -> Result<Option<u64>> {
    let newest = storage
        .list(LOG_DIR)?
        .iter()
        .filter_map(|listed| match parse_log_name(&listed.path) {
            Some(LogFile::Record(v)) => Some(v),
            _ => None,
        })
        .max();
    Ok(newest)
}

/// Reads the newest version of the store and hands it to `open` (which typically reads
/// that version's catalog). When `open` finds a file missing (a concurrent writer's
/// checkpoint expired it between listing the log and reading it), starts over from the
/// newer version, a few times at most.
pub fn open_latest<T>(storage: &Storage, mut open: impl FnMut(LogState) -> Result<T>) -> Result<T> {
    let mut attempt = 0;
    loop {
        match open(read_latest(storage)?) {
            Err(e) if e.is_not_found() && attempt < 3 => attempt += 1,
            other => return other,
        }
    }
}

const VANISHED: &str = "a log file disappeared while the log was read";

fn vanished(storage: &Storage, rel: &str) -> StoreError {
    StoreError::Corrupt {
        path: storage.path(rel),
        reason: VANISHED.to_string(),
    }
}

fn read_once(storage: &Storage) -> Result<LogState> {
    let mut records = Vec::new();
    let mut checkpoints = Vec::new();
    for listed in storage.list(LOG_DIR)? {
        match parse_log_name(&listed.path) {
            Some(LogFile::Record(v)) => records.push(v),
            Some(LogFile::Checkpoint(v)) => checkpoints.push(v),
            None => {}
        }
    }
    if records.is_empty() {
        return read_legacy(storage);
    }
    let newest_record = records.iter().copied().max().unwrap_or(0);
    let mut state = match checkpoints.iter().copied().filter(|&v| v <= newest_record).max() {
        Some(v) => {
            let rel = checkpoint_path(v);
            let bytes = storage.read(&rel)?.ok_or_else(|| vanished(storage, &rel))?;
            let checkpoint: Checkpoint = parse(storage, &rel, &bytes)?;
            check_format(storage, checkpoint.manifest.format)?;
            LogState {
                manifest: checkpoint.manifest.clone(),
                tombstones: checkpoint.tombstones.clone(),
                checkpoint: Some(checkpoint),
                legacy: false,
            }
        }
        None => {
            // No checkpoint: replay from the newest full record.
            let start = newest_full_record(storage, &records)?;
            let mut state = LogState::empty();
            state.manifest.version = start.saturating_sub(1);
            state
        }
    };
    // Records after the start, in order; probe past the listing's end for commits made
    // while it was taken.
    let mut next = if state.checkpoint.is_some() || state.manifest.version > 0 {
        state.manifest.version + 1
    } else {
        0
    };
    loop {
        match read_record(storage, next)? {
            Some(record) => state.advance(&record),
            None if next <= newest_record => return Err(vanished(storage, &record_path(next))),
            None => break,
        }
        next += 1;
    }
    Ok(state)
}

/// The newest full record at or before the newest record, reading backwards.
fn newest_full_record(storage: &Storage, records: &[u64]) -> Result<u64> {
    let mut sorted = records.to_vec();
    sorted.sort_unstable();
    for &v in sorted.iter().rev() {
        let record = read_record(storage, v)?.ok_or_else(|| vanished(storage, &record_path(v)))?;
        if record.full {
            return Ok(v);
        }
    }
    Err(StoreError::Corrupt {
        path: storage.path(LOG_DIR),
        reason: "the log has neither a checkpoint nor a full record to start from".to_string(),
    })
}

/// Reads a layout-version-1 store (no log) as a version of the current layout.
fn read_legacy(storage: &Storage) -> Result<LogState> {
    let old = manifest_v1::read_latest(storage)?;
    let segments = old
        .commits
        .into_iter()
        .map(|c| Segment {
            id: format!("c{:012}", c.id),
            table: TableKind::Metrics,
            committed_at: c.committed_at,
            catalog_file: c.series_file,
            directory_file: c.directory_file,
            data_files: c.sample_files,
            entities: c.series,
            rows: c.samples,
            metadata: Vec::new(),
        })
        .collect();
    Ok(LogState {
        manifest: Manifest {
            format: FORMAT_VERSION,
            version: old.version,
            segments,
        },
        checkpoint: None,
        tombstones: Vec::new(),
        legacy: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_parse() {
        assert_eq!(parse_log_name(&record_path(7)), Some(LogFile::Record(7)));
        assert_eq!(parse_log_name(&checkpoint_path(9)), Some(LogFile::Checkpoint(9)));
        assert_eq!(parse_log_name("_log/v1.json.abc.tmp"), None);
        assert_eq!(parse_log_name("samples/v1.json"), None);
    }

    #[test]
    fn a_folder_without_log_or_manifest_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_latest(&Storage::local(dir.path())).unwrap_err();
        assert!(err.to_string().contains("not a Parquetry store"), "{err}");
    }

    #[test]
    fn a_newer_layout_is_refused_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let record = CommitRecord {
            format: FORMAT_VERSION + 1,
            version: 0,
            committed_at: 0,
            full: true,
            change: Change::default(),
        };
        s.put(&record_path(0), &serde_json::to_vec(&record).unwrap())
            .unwrap();
        let err = read_latest(&s).unwrap_err();
        assert!(
            err.to_string().contains("layout version 3 is not supported"),
            "{err}"
        );
    }
}
