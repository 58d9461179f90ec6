//! Layout version 1: a whole manifest per version in `manifest/v<version>.json`.
//!
//! Stores written before the commit log are read through this module and converted by
//! their first commit (see `log` and `commit`). After the conversion a last version-1
//! manifest says `"format": 2`, so that older builds refuse the store with a clear message
//! instead of reading a version that no longer moves.

use crate::error::{Result, StoreError};
use crate::manifest::DataFile;
use crate::storage::Storage;
use serde::{Deserialize, Serialize};

/// The layout version of these manifests.
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
    pub sample_files: Vec<DataFile>,
    /// Number of series with samples in this commit.
    pub series: u64,
    /// Number of samples in this commit.
    pub samples: u64,
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
}

fn version_of(name: &str) -> Option<u64> {
    name.strip_prefix(MANIFEST_DIR)?
        .strip_prefix("/v")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

fn path_of(version: u64) -> String {
    format!("{MANIFEST_DIR}/v{version:020}.json")
}

/// Reads the newest manifest of the store.
pub fn read_latest(storage: &Storage) -> Result<Manifest> {
    let not_a_store = |reason: &str| StoreError::NotAStore {
        path: storage.root().to_path_buf(),
        reason: format!("not a Parquetry store ({reason})"),
    };
    let newest = storage
        .list(MANIFEST_DIR)?
        .iter()
        .filter_map(|l| version_of(&l.path))
        .max()
        .ok_or_else(|| not_a_store("no commit log and no manifest"))?;
    let rel = path_of(newest);
    let bytes = storage
        .read(&rel)?
        .ok_or_else(|| not_a_store("its newest manifest vanished"))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        path: storage.path(&rel),
        reason: e.to_string(),
    })?;
    if manifest.format != FORMAT_VERSION {
        return Err(StoreError::NotAStore {
            path: storage.root().to_path_buf(),
            reason: format!(
                "store layout version {} is not supported (this build reads versions 1 to {})",
                manifest.format,
                crate::manifest::FORMAT_VERSION
            ),
        });
    }
    Ok(manifest)
}

/// Publishes `manifest` as its version (used by tests that build version-1 stores).
pub fn publish(storage: &Storage, manifest: &Manifest) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(manifest).expect("a manifest always serializes");
    storage.put(&path_of(manifest.version), &bytes)
}

/// Publishes a last version-1 manifest that declares the layout `2`, after the store was
/// converted at `version`.
pub fn publish_moved_on(storage: &Storage, version: u64) -> Result<()> {
    let mut manifest = Manifest::empty();
    manifest.format = crate::manifest::FORMAT_VERSION;
    manifest.version = version;
    publish(storage, &manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_wins_and_half_written_ones_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        publish(&storage, &Manifest::empty()).unwrap();
        let mut m = Manifest::empty();
        m.version = 1;
        m.next_commit = 7;
        publish(&storage, &m).unwrap();
        // A manifest that was never renamed into place does not count.
        storage
            .put("manifest/v00000000000000000002.json.tmp", b"{")
            .unwrap();
        assert_eq!(read_latest(&storage).unwrap(), m);
    }

    #[test]
    fn a_folder_without_manifest_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_latest(&Storage::local(dir.path())).unwrap_err();
        assert!(err.to_string().contains("not a Parquetry store"), "{err}");
    }
}
