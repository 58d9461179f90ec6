//! A data file opened for the Parquet reader: a local file read by positioned reads, or
//! an object read by byte ranges (so a selective read fetches only the footer and the
//! pages it needs).

use super::remote::Remote;
use crate::error::{Result, StoreError, io_err};
use crate::scan::page_cache::PageFile;
use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open data file; implements Parquet's [`ChunkReader`].
pub struct FileReader(Source);

enum Source {
    /// A file in a local store, shared by every handle on it, its path and its size
    /// (data files never change once written). Reads name their offset, so handles need
    /// no descriptor of their own and no seek.
    Local {
        file: Arc<File>,
        path: Arc<str>,
        size: u64,
    },
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
        let file = File::open(path).map_err(io_err(path))?;
        let size = file.metadata().map_err(io_err(path))?.len();
        Ok(FileReader(Source::Local {
            file: Arc::new(file),
            path: Arc::from(path.to_string_lossy()),
            size,
        }))
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
    /// file's descriptor is shared, a remote object's size is not asked again.
    pub fn share(&self) -> FileReader {
        FileReader(match &self.0 {
            Source::Local { file, path, size } => Source::Local {
                file: Arc::clone(file),
                path: Arc::clone(path),
                size: *size,
            },
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
        })
    }

    /// The file as the page cache knows it: its path or URL, and its size.
    pub(crate) fn page_file(&self) -> PageFile {
        match &self.0 {
            Source::Local { path, size, .. } => PageFile {
                name: Arc::clone(path),
                size: *size,
            },
            Source::Remote { url, size, .. } => PageFile {
                name: Arc::from(url.to_string_lossy()),
                size: *size,
            },
        }
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
            Source::Local { size, .. } => *size,
            Source::Remote { size, .. } => *size,
        }
    }
}

impl ChunkReader for FileReader {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> Result<Self::T, ParquetError> {
        match &self.0 {
            Source::Local { file, .. } => Ok(Box::new(std::io::BufReader::new(LocalRead {
                file: Arc::clone(file),
                at: start,
            }))),
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
            Source::Local { file, .. } => {
                let buffer = read_range(file, start, length)?;
                if buffer.len() != length {
                    return Err(ParquetError::EOF(format!(
                        "expected {length} bytes at offset {start}, the file holds {}",
                        buffer.len()
                    )));
                }
                Ok(buffer.into())
            }
            Source::Remote { remote, rel, url, .. } => {
                FileReader::fetch(remote, rel, url, start, length as u64)
            }
        }
    }
}

/// A local file read from a point on, each read naming its offset (`pread`), so that any
/// number of readers share one descriptor without seeking it.
struct LocalRead {
    file: Arc<File>,
    /// The offset of the next byte to read.
    at: u64,
}

impl Read for LocalRead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(&self.file, out, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Reads `length` bytes of `file` from `offset` on, or fewer where the file ends first.
/// The bytes land in the buffer's memory directly, which is not cleared beforehand (a
/// query reads megabytes of pages this way).
#[cfg(unix)]
fn read_range(file: &File, offset: u64, length: usize) -> std::io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let mut buffer: Vec<u8> = Vec::with_capacity(length);
    while buffer.len() < length {
        let at = offset + buffer.len() as u64;
        let spare = buffer.spare_capacity_mut();
        let at = libc::off_t::try_from(at).map_err(std::io::Error::other)?;
        // SAFETY: `pread` writes at most `spare.len()` bytes, into the buffer's spare
        // capacity, which it owns and nothing else refers to.
        let read = unsafe { libc::pread(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), at) };
        match read {
            0 => break,
            n if n > 0 => {
                // SAFETY: `pread` has just written the first `n` bytes of the spare
                // capacity, so they are initialised.
                unsafe { buffer.set_len(buffer.len() + n as usize) }
            }
            _ => {
                let error = std::io::Error::last_os_error();
                if error.kind() != std::io::ErrorKind::Interrupted {
                    return Err(error);
                }
            }
        }
    }
    Ok(buffer)
}

/// Reads `length` bytes of `file` from `offset` on, or fewer where the file ends first.
#[cfg(not(unix))]
fn read_range(file: &File, offset: u64, length: usize) -> std::io::Result<Vec<u8>> {
    let mut buffer = vec![0; length];
    let mut filled = 0;
    while filled < length {
        match read_at(file, &mut buffer[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buffer.truncate(filled);
    Ok(buffer)
}

/// Reads into `out` from `offset` of `file` without moving its cursor (where the
/// platform has such a read); returns how many bytes were read, 0 at the end.
#[cfg(unix)]
fn read_at(file: &File, out: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, out, offset)
}

#[cfg(windows)]
fn read_at(file: &File, out: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, out, offset)
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
    fn a_local_file_is_read_by_offset_through_every_shared_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let content: Vec<u8> = (0..50_000u32).map(|i| (i * 13 % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let first = FileReader::local(&path).unwrap();
        let second = first.share();
        assert_eq!(second.len(), content.len() as u64);
        for (reader, start, length) in [(&first, 0, 10), (&second, 49_990, 10), (&first, 123, 20_000)] {
            let bytes = reader.get_bytes(start as u64, length).unwrap();
            assert_eq!(&bytes[..], &content[start..start + length]);
        }
        assert!(first.get_bytes(49_995, 10).is_err());
        let mut rest = Vec::new();
        second.get_read(40_000).unwrap().read_to_end(&mut rest).unwrap();
        assert_eq!(rest, content[40_000..]);
        let mut head = [0u8; 4];
        first.get_read(7).unwrap().read_exact(&mut head).unwrap();
        assert_eq!(head, content[7..11]);
    }

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
