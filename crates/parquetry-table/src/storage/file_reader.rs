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
            } => Ok(Box::new(RemoteRead {
                remote: remote.clone(),
                rel: rel.clone(),
                url: url.clone(),
                at: start,
                end: *size,
                window: Bytes::new(),
            })),
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

/// The bytes a remote read from a point on fetches at a time.
const REMOTE_READ_WINDOW: u64 = 16 * 1024;

/// A remote object read from a point on, fetched [`REMOTE_READ_WINDOW`] bytes at a time as
/// the reader asks for them. Parquet reads a page header this way (a few dozen bytes) and
/// then fetches the page itself by its range, so fetching the rest of the object for every
/// header would move the whole file once per page.
struct RemoteRead {
    remote: Remote,
    rel: String,
    url: PathBuf,
    /// Where `window` ends in the object: the next byte to fetch.
    at: u64,
    /// The object's size.
    end: u64,
    /// Fetched bytes not read yet.
    window: Bytes,
}

impl Read for RemoteRead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.window.is_empty() && self.at < self.end {
            let length = REMOTE_READ_WINDOW.min(self.end - self.at);
            self.window = FileReader::fetch(&self.remote, &self.rel, &self.url, self.at, length)
                .map_err(std::io::Error::other)?;
            self.at += self.window.len() as u64;
        }
        let n = out.len().min(self.window.len());
        out[..n].copy_from_slice(&self.window[..n]);
        self.window = self.window.slice(n..);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_read_from_a_point_gives_the_rest_of_the_object_a_window_at_a_time() {
        let object: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let remote = Remote::in_memory();
        remote.put_for_test("d/f.parquet", &object);
        let reader =
            FileReader::remote(remote, "d/f.parquet", PathBuf::from("memory:///d/f.parquet")).unwrap();
        for start in [0u64, 1, 16 * 1024 - 3, 40_000, 99_999, 100_000] {
            let mut head = [0u8; 10];
            let mut read = reader.get_read(start).unwrap();
            let n = read.read(&mut head).unwrap();
            assert_eq!(
                &head[..n],
                &object[start as usize..(start as usize + 10).min(object.len())]
            );
            let mut rest = head[..n].to_vec();
            read.read_to_end(&mut rest).unwrap();
            assert_eq!(rest, object[start as usize..]);
        }
    }
}
