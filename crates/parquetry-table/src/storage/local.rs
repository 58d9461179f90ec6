//! The local-folder backend: files under a root folder, published by rename (data) or hard
//! link (records), each followed by a sync of the folder.

use crate::error::{Result, io_err};
use crate::storage::{Listed, TEMP_SUFFIX};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The content of `path`, or `None` when it does not exist.
pub(super) fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Writes `bytes` to `path` unless it exists; see `Storage::put_if_absent_with`.
pub(super) fn put_if_absent_with(
    path: &Path,
    bytes: &[u8],
    before_publish: &mut dyn FnMut() -> Result<()>,
) -> Result<bool> {
    let tmp = with_suffix(path, &format!(".{}{TEMP_SUFFIX}", crate::unique_id()));
    write_synced(&tmp, bytes)?;
    before_publish()?;
    // A hard link fails when the target exists, atomically: the create-if-absent that
    // object stores offer as a conditional PUT.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(parent(path))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Writes `bytes` to `path`, replacing any previous content, atomically.
pub(super) fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = staging_path(path)?;
    write_synced(&tmp, bytes)?;
    publish(&tmp, path)
}

/// Every file below `dir`, at any depth, named relative to `root`.
pub(super) fn list(root: &Path, dir: &Path, out: &mut Vec<Listed>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            // Gone since the folder was read: a temporary file another writer published.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&path)(e)),
        };
        if meta.is_dir() {
            list(root, &path, out)?;
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let rel: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        out.push(Listed {
            path: rel.join("/"),
            bytes: meta.len(),
            modified: meta.modified().map_err(io_err(&path))?,
        });
    }
    Ok(())
}

/// Deletes `path`; a file that is already gone is not an error.
pub(super) fn delete(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// The temporary name `path` is written under before it is published, with its folder
/// created.
pub(super) fn staging_path(path: &Path) -> Result<PathBuf> {
    fs::create_dir_all(parent(path)).map_err(io_err(parent(path)))?;
    Ok(with_suffix(path, TEMP_SUFFIX))
}

/// Syncs `tmp` and renames it to `path`, then syncs the folder, so that `path` either does
/// not exist or has its complete content after a crash.
pub(super) fn publish(tmp: &Path, path: &Path) -> Result<()> {
    File::open(tmp).and_then(|f| f.sync_all()).map_err(io_err(tmp))?;
    fs::rename(tmp, path).map_err(io_err(path))?;
    sync_dir(parent(path))
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::create_dir_all(parent(path)).map_err(io_err(parent(path)))?;
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Flushes a folder's entries (new names, renames) to stable storage.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}
