//! Durable file publication: write under a temporary name, sync, rename, sync the folder.

use crate::error::{Result, io_err};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Suffix of files that are still being written. Nothing reads them; the next writer
/// removes any that a crash left behind.
pub const TEMP_SUFFIX: &str = ".tmp";

/// The temporary name under which `path` is written before it is published.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(TEMP_SUFFIX);
    path.with_file_name(name)
}

/// Flushes a folder's entries (new names, renames) to stable storage.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// Syncs the temporary file for `path` and renames it into place, then syncs the folder, so
/// that `path` either does not exist or has its complete content after a crash.
pub fn publish(path: &Path) -> Result<()> {
    let tmp = temp_path(path);
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Writes `bytes` to `path` durably and atomically (temporary file, sync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    drop(f);
    publish(path)
}

/// Creates `dir` and its parents if needed.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(io_err(dir))
}
