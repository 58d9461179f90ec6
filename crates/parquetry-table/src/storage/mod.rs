//! The store's storage: every byte the table core and the signal crates write or read goes
//! through a [`Storage`], which names files by their path relative to the store's root.
//! A store lives in a local folder or in object storage (`s3://bucket/prefix`, `gs://…`,
//! `az://…`); the two behave the same.
//!
//! Two kinds of writes exist. Data files are written to a local staging file and then
//! published whole ([`Storage::stage`], [`Storage::publish`]): a name either does not
//! exist or has its complete content. Log records are published with
//! [`Storage::put_if_absent`], which fails when the name exists already (a hard link
//! locally, a conditional PUT in object storage): that is what makes exactly one of two
//! racing commits win a version.

mod file_reader;
mod local;
mod metadata_cache;
mod remote;

use crate::error::Result;
pub use file_reader::FileReader;
pub use metadata_cache::GroupPageOffsets;
use metadata_cache::MetadataCache;
use remote::Remote;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Suffix of files that are still being written. Nothing reads them; vacuum removes any
/// that a crash left behind once they are older than the grace period.
pub const TEMP_SUFFIX: &str = ".tmp";

/// A store's root: a local folder or a prefix in object storage. Clones share one
/// connection and one cache of Parquet footers, which outlives store snapshots (data
/// files never change once written, so a cached footer is never stale).
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    location: PathBuf,
    backend: Backend,
    metadata: MetadataCache,
}

enum Backend {
    Local,
    Remote(Remote),
}

/// One file found by [`Storage::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Path relative to the store's root, with `/` separators.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Last modification time.
    pub modified: SystemTime,
}

/// A data file being written: a local file that [`Storage::publish`] makes the store's.
#[derive(Debug)]
pub struct Staged {
    rel: String,
    local: PathBuf,
}

impl Staged {
    /// The local file to write the content to.
    pub fn path(&self) -> &Path {
        &self.local
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Storage({})", self.inner.location.display())
    }
}

impl PartialEq for Storage {
    fn eq(&self, other: &Self) -> bool {
        self.inner.location == other.inner.location
    }
}

/// True when `location` is written as a URL (`scheme://…`) rather than a folder.
pub fn is_url(location: &Path) -> bool {
    location.to_str().is_some_and(|s| {
        s.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric())
        })
    })
}

impl Storage {
    /// The store at `location`: a folder (which need not exist yet), or an object-store
    /// URL (`s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`) with
    /// credentials from the environment. `file://` URLs name folders. An unknown scheme,
    /// an unparsable URL or missing credentials are refused here, in one line.
    pub fn open(location: impl AsRef<Path>) -> Result<Storage> {
        let location = location.as_ref();
        if !is_url(location) {
            return Ok(Storage::local(location));
        }
        let url = location.to_string_lossy();
        if let Some(folder) = url.strip_prefix("file://") {
            return Ok(Storage::local(folder));
        }
        Ok(Storage::with_backend(
            location,
            Backend::Remote(Remote::open(&url)?),
        ))
    }

    /// The store in the local folder `root` (which need not exist yet).
    pub fn local(root: impl Into<PathBuf>) -> Storage {
        Storage::with_backend(&root.into(), Backend::Local)
    }

    fn with_backend(location: &Path, backend: Backend) -> Storage {
        Storage {
            inner: Arc::new(Inner {
                location: location.to_path_buf(),
                backend,
                metadata: MetadataCache::default(),
            }),
        }
    }

    /// Where the store is, as it was opened (a folder or a URL).
    pub fn root(&self) -> &Path {
        &self.inner.location
    }

    /// Where the file `rel` is: its local path, or its URL; for messages, and for reads of
    /// a local store.
    pub fn path(&self, rel: &str) -> PathBuf {
        match &self.inner.backend {
            Backend::Local => self.inner.location.join(rel),
            Backend::Remote(_) => PathBuf::from(format!(
                "{}/{rel}",
                self.inner.location.to_string_lossy().trim_end_matches('/')
            )),
        }
    }

    /// The content of `rel`, or `None` when it does not exist.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match &self.inner.backend {
            Backend::Local => local::read(&self.path(rel)),
            Backend::Remote(r) => r.read(rel),
        }
    }

    /// Writes `bytes` to `rel` unless `rel` exists. Returns `false` (and writes nothing
    /// visible) when it exists. The content appears whole or not at all.
    pub fn put_if_absent(&self, rel: &str, bytes: &[u8]) -> Result<bool> {
        self.put_if_absent_with(rel, bytes, &mut || Ok(()))
    }

    /// [`Storage::put_if_absent`] with a hook called just before the content is published;
    /// an error from the hook stops the write there, as a crash would.
    pub fn put_if_absent_with(
        &self,
        rel: &str,
        bytes: &[u8],
        before_publish: &mut dyn FnMut() -> Result<()>,
    ) -> Result<bool> {
        match &self.inner.backend {
            Backend::Local => local::put_if_absent_with(&self.path(rel), bytes, before_publish),
            Backend::Remote(r) => {
                before_publish()?;
                r.put_if_absent(rel, bytes)
            }
        }
    }

    /// Writes `bytes` to `rel`, replacing any previous content, atomically.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        match &self.inner.backend {
            Backend::Local => local::put(&self.path(rel), bytes),
            Backend::Remote(r) => r.put(rel, bytes.to_vec()),
        }
    }

    /// Every file below the folder `dir` (relative to the root), at any depth, sorted by
    /// path; an absent folder has none.
    pub fn list(&self, dir: &str) -> Result<Vec<Listed>> {
        let mut out = match &self.inner.backend {
            Backend::Local => {
                let mut out = Vec::new();
                local::list(&self.inner.location, &self.path(dir), &mut out)?;
                out
            }
            Backend::Remote(r) => r.list(dir)?,
        };
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Deletes `rel`; a file that is already gone is not an error.
    pub fn delete(&self, rel: &str) -> Result<()> {
        match &self.inner.backend {
            Backend::Local => local::delete(&self.path(rel)),
            Backend::Remote(r) => r.delete(rel),
        }
    }

    /// Starts the data file `rel`: write it at the returned local path, then
    /// [`Storage::publish`] it.
    pub fn stage(&self, rel: &str) -> Result<Staged> {
        let local = match &self.inner.backend {
            Backend::Local => local::staging_path(&self.path(rel))?,
            Backend::Remote(_) => {
                let dir = std::env::temp_dir().join("parquetry-staging");
                std::fs::create_dir_all(&dir).map_err(crate::error::io_err(&dir))?;
                dir.join(format!("{}{TEMP_SUFFIX}", crate::unique_id()))
            }
        };
        Ok(Staged {
            rel: rel.to_string(),
            local,
        })
    }

    /// Publishes a staged data file under its name.
    pub fn publish(&self, staged: Staged) -> Result<()> {
        match &self.inner.backend {
            Backend::Local => local::publish(&staged.local, &self.path(&staged.rel)),
            Backend::Remote(r) => {
                let uploaded = r.upload(&staged.local, &staged.rel);
                let _ = std::fs::remove_file(&staged.local);
                uploaded
            }
        }
    }

    /// Drops a staged data file unpublished.
    pub fn discard(&self, staged: Staged) -> Result<()> {
        local::delete(&staged.local)
    }

    /// Opens the data file `rel` for reading by the Parquet reader.
    pub fn open_file(&self, rel: &str) -> Result<FileReader> {
        match &self.inner.backend {
            Backend::Local => FileReader::local(&self.path(rel)),
            Backend::Remote(r) => FileReader::remote(r.clone(), rel, self.path(rel)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn put_if_absent_writes_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        assert!(s.put_if_absent("_log/a.json", b"first").unwrap());
        assert!(!s.put_if_absent("_log/a.json", b"second").unwrap());
        assert_eq!(s.read("_log/a.json").unwrap().unwrap(), b"first");
        assert_eq!(s.read("_log/b.json").unwrap(), None);
        let listed: Vec<String> = s.list("_log").unwrap().into_iter().map(|l| l.path).collect();
        assert_eq!(listed, ["_log/a.json"], "no temporary file is left");
    }

    #[test]
    fn staged_files_appear_only_when_published() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path());
        let staged = s.stage("samples/day=x/f.parquet").unwrap();
        fs::write(staged.path(), b"data").unwrap();
        assert_eq!(s.read("samples/day=x/f.parquet").unwrap(), None);
        s.publish(staged).unwrap();
        assert_eq!(s.read("samples/day=x/f.parquet").unwrap().unwrap(), b"data");
        s.delete("samples/day=x/f.parquet").unwrap();
        s.delete("samples/day=x/f.parquet").unwrap();
        assert!(s.list("samples").unwrap().is_empty());
    }

    #[test]
    fn locations_are_folders_or_urls() {
        assert!(is_url(Path::new("s3://bucket/prefix")));
        assert!(!is_url(Path::new("./store")));
        assert!(!is_url(Path::new("/data/a://b")));
        assert_eq!(Storage::open("/tmp/x").unwrap().path("a"), Path::new("/tmp/x/a"));
        assert_eq!(
            Storage::open("file:///tmp/x").unwrap().root(),
            Path::new("/tmp/x")
        );
        let err = Storage::open("ftp://host/x").unwrap_err().to_string();
        assert!(err.contains("unknown URL scheme \"ftp\""), "{err}");
        let err = Storage::open("s3://").unwrap_err().to_string();
        assert!(
            err.contains("no bucket") || err.contains("not a valid URL"),
            "{err}"
        );
    }
}
