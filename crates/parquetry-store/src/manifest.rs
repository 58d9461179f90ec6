//! The manifest: the one file that says which data files make up a store version.
//!
//! Manifests live in `manifest/v<version>.json`. A version is published by renaming a fully
//! written and synced file into place, so readers only ever see complete versions; the
//! highest version present is the current one. Data files that no manifest names are
//! invisible and are removed by the next writer.

use crate::error::{Result, StoreError, io_err};
use crate::fsutil;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

/// The layout version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Folder of the manifests, relative to the store root.
pub const MANIFEST_DIR: &str = "manifest";

/// One store version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of the files named here.
    pub format: u32,
    /// Number of this version; each commit adds one.
    pub version: u64,
    /// Id the next commit will take.
    pub next_commit: u64,
    /// The commits whose files make up this version, oldest first.
    pub commits: Vec<CommitEntry>,
}

/// The files one commit added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitEntry {
    /// Commit id, unique within the store.
    pub id: u64,
    /// Wall-clock time of the commit, milliseconds since the epoch.
    pub committed_at: i64,
    /// The series table of this commit, relative to the store root.
    pub series_file: String,
    /// The directory table of this commit, relative to the store root.
    pub directory_file: String,
    /// The samples files of this commit.
    pub sample_files: Vec<SampleFileEntry>,
    /// Number of series with samples in this commit.
    pub series: u64,
    /// Number of samples in this commit.
    pub samples: u64,
}

/// One samples file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleFileEntry {
    /// Path relative to the store root.
    pub path: String,
    /// Start of the time partition (UTC day) the file belongs to, in milliseconds.
    pub partition_start: i64,
    /// Earliest sample time in the file.
    pub min_time: i64,
    /// Latest sample time in the file.
    pub max_time: i64,
    /// Number of rows (samples).
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

impl Manifest {
    /// The manifest of a new, empty store.
    pub fn empty() -> Manifest {
        Manifest {
            format: FORMAT_VERSION,
            version: 0,
            next_commit: 1,
            commits: Vec::new(),
        }
    }

    /// Total samples in this version.
    pub fn samples(&self) -> u64 {
        self.commits.iter().map(|c| c.samples).sum()
    }

    /// Total bytes of samples files in this version.
    pub fn sample_bytes(&self) -> u64 {
        self.commits
            .iter()
            .flat_map(|c| &c.sample_files)
            .map(|f| f.bytes)
            .sum()
    }
}

/// Path of the manifest of `version` in the store at `root`.
pub fn path_of(root: &Path, version: u64) -> PathBuf {
    root.join(MANIFEST_DIR).join(format!("v{version:020}.json"))
}

fn version_of(name: &str) -> Option<u64> {
    name.strip_prefix('v')?.strip_suffix(".json")?.parse().ok()
}

/// Reads the newest manifest of the store at `root`.
pub fn read_latest(root: &Path) -> Result<Manifest> {
    let dir = root.join(MANIFEST_DIR);
    let entries = fs::read_dir(&dir).map_err(|e| StoreError::NotAStore {
        path: root.to_path_buf(),
        reason: format!("not a Parquetry store (no readable {MANIFEST_DIR}/ folder: {e})"),
    })?;
    let mut newest: Option<u64> = None;
    for entry in entries {
        let entry = entry.map_err(io_err(&dir))?;
        if let Some(v) = entry.file_name().to_str().and_then(version_of) {
            newest = newest.max(Some(v));
        }
    }
    let version = newest.ok_or_else(|| StoreError::NotAStore {
        path: root.to_path_buf(),
        reason: "not a Parquetry store (no manifest)".to_string(),
    })?;
    let path = path_of(root, version);
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if manifest.format != FORMAT_VERSION {
        return Err(StoreError::NotAStore {
            path: root.to_path_buf(),
            reason: format!(
                "store layout version {} is not supported (this build reads version {FORMAT_VERSION})",
                manifest.format
            ),
        });
    }
    Ok(manifest)
}

/// Publishes `manifest` as its version. Fails if that version exists already, which means
/// another writer committed in between.
pub fn publish(root: &Path, manifest: &Manifest) -> Result<()> {
    let path = path_of(root, manifest.version);
    if path.exists() {
        return Err(StoreError::Corrupt {
            path,
            reason: "manifest version exists already: another writer committed concurrently".to_string(),
        });
    }
    let bytes = serde_json::to_vec_pretty(manifest).expect("a manifest always serializes");
    fsutil::write_atomic(&path, &bytes)
}

/// Creates the folders and the empty version-0 manifest of a new store at `root`.
pub fn create(root: &Path) -> Result<Manifest> {
    fsutil::ensure_dir(&root.join(MANIFEST_DIR))?;
    let manifest = Manifest::empty();
    publish(root, &manifest)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_wins_and_half_written_ones_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        create(root).unwrap();
        let mut m = Manifest::empty();
        m.version = 1;
        m.next_commit = 7;
        publish(root, &m).unwrap();
        // A manifest that was never renamed into place does not count.
        fs::write(
            root.join(MANIFEST_DIR).join("v00000000000000000002.json.tmp"),
            b"{",
        )
        .unwrap();
        assert_eq!(read_latest(root).unwrap(), m);
        assert!(publish(root, &m).is_err(), "a version cannot be published twice");
    }

    #[test]
    fn a_folder_without_manifest_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_latest(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a Parquetry store"), "{err}");
    }
}
