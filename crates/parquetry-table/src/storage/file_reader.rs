//! A data file opened for the Parquet reader: a local file, or an object read by byte
//! ranges (so a selective read fetches only the footer and the pages it needs).

use super::remote::Remote;
use crate::error::{Result, StoreError, io_err};
use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// An open data file; implements Parquet's [`ChunkReader`].
pub struct FileReader(Source);

enum Source {
    /// A file in a local store.
    Local(File),
    /// An object in object storage: the connection, its name relative to the store, its
    /// URL (for messages) and its size.
    Remote {
        remote: Remote,
        rel: String,
        url: PathBuf,
        size: u64,
    },
}

impl FileReader {
    pub(super) fn local(path: &Path) -> Result<FileReader> {
        File::open(path)
            .map(|f| FileReader(Source::Local(f)))
            .map_err(io_err(path))
    }

    pub(super) fn remote(remote: Remote, rel: &str, url: PathBuf) -> Result<FileReader> {
        let size = remote.size(rel)?;
        Ok(FileReader(Source::Remote {
            remote,
            rel: rel.to_string(),
            url,
            size,
        }))
    }

    /// A second handle on the same file (or object), for a second reader of it: a local
    /// file's descriptor is duplicated, a remote object's size is not asked again. `path`
    /// names the file in an error.
    pub fn try_clone(&self, path: &Path) -> Result<FileReader> {
        Ok(FileReader(match &self.0 {
            Source::Local(f) => Source::Local(f.try_clone().map_err(io_err(path))?),
            Source::Remote {
                remote,
                rel,
                url,
                size,
            } => Source::Remote {
                remote: remote.clone(),
                rel: rel.clone(),
                url: url.clone(),
                size: *size,
            },
        }))
    }

    /// Reads `length` bytes from `start` of a remote object.
    fn fetch(remote: &Remote, rel: &str, url: &Path, start: u64, length: u64) -> Result<Bytes, ParquetError> {
        remote
            .read_range(rel, start..start + length)
            .map_err(|e| ParquetError::External(Box::new(with_url(e, url))))
    }
}

fn with_url(e: StoreError, url: &Path) -> StoreError {
    match e {
        StoreError::Remote {
            reason, not_found, ..
        } => StoreError::Remote {
            path: url.to_path_buf(),
            reason,
            not_found,
        },
        other => other,
    }
}

impl Length for FileReader {
    fn len(&self) -> u64 {
        match &self.0 {
            Source::Local(f) => f.len(),
            Source::Remote { size, .. } => *size,
        }
    }
}

impl ChunkReader for FileReader {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> Result<Self::T, ParquetError> {
        match &self.0 {
            Source::Local(f) => Ok(Box::new(f.get_read(start)?)),
            Source::Remote {
                remote,
                rel,
                url,
                size,
            } => {
                let bytes = FileReader::fetch(remote, rel, url, start, size.saturating_sub(start))?;
                Ok(Box::new(std::io::Cursor::new(bytes)))
            }
        }
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes, ParquetError> {
        match &self.0 {
            Source::Local(f) => f.get_bytes(start, length),
            Source::Remote { remote, rel, url, .. } => {
                FileReader::fetch(remote, rel, url, start, length as u64)
            }
        }
    }
}
