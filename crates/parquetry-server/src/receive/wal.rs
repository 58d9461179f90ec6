//! The write-ahead log of received requests: a request is acknowledged once its body is
//! in the log and synced to disk, and is replayed on the next start if the server stops
//! before committing it.
//!
//! The log is a folder of numbered files (`00000000000000000001.wal`, …). Each record is
//! its length (4 bytes, little-endian), an XXH3-64 checksum of the rest (8 bytes), a
//! kind byte and the request body as received. A commit covers every file up to the one
//! being written, which it closes first ([`Wal::rotate`]); the covered files are then
//! deleted ([`Wal::remove_through`]). A record cut short by a crash was never
//! acknowledged and is dropped on replay.
//!
//! One process writes a log at a time: opening takes an exclusive lock on the folder's
//! `LOCK` file, held until the log is dropped (or the process ends), and a second
//! opening fails while it is held. Opening also deletes the files that hold no whole
//! record (a log opened and stopped before anything arrived leaves one), so that
//! restarts do not pile them up.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// Bytes before a record's kind: length and checksum.
const HEADER: usize = 12;

/// One logged request: what kind it is and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// What the body is (the receiver's own numbering).
    pub kind: u8,
    /// The body as received.
    pub body: Vec<u8>,
}

/// The name of the file whose lock marks a log as open.
const LOCK_FILE: &str = "LOCK";

/// The log's folder, the file being appended to, and the folder's lock.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    file: File,
    number: u64,
    /// The folder's `LOCK` file, locked while this log lives; only held, never read.
    _lock: File,
}

impl Wal {
    /// Opens the log in `dir` (created when missing) and returns it with the records of
    /// the files already there, oldest first. New records go to a new file. Fails with
    /// `WouldBlock` while another open log holds the folder, and deletes the files
    /// there that hold no whole record.
    pub fn open(dir: &Path) -> io::Result<(Wal, Vec<Record>)> {
        fs::create_dir_all(dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))?;
        lock.try_lock().map_err(|e| match e {
            fs::TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::WouldBlock,
                "another process has this write-ahead log open (one server per log folder)",
            ),
            fs::TryLockError::Error(e) => e,
        })?;
        let mut records = Vec::new();
        let mut last = 0;
        for n in file_numbers(dir)? {
            let held = read_records(&file_path(dir, n))?;
            if held.is_empty() {
                fs::remove_file(file_path(dir, n))?;
            }
            records.extend(held);
            last = n;
        }
        let number = last + 1;
        let file = create(dir, number)?;
        Ok((
            Wal {
                dir: dir.to_path_buf(),
                file,
                number,
                _lock: lock,
            },
            records,
        ))
    }

    /// Lets go of the folder's lock as the end of the process would, leaving the log
    /// otherwise as it is: how a test stands for a crash inside one process.
    #[cfg(test)]
    pub fn unlock_as_a_crash_would(&self) -> io::Result<()> {
        self._lock.unlock()
    }

    /// Appends a record and syncs it to disk; when this returns, the record survives a
    /// crash.
    pub fn append(&mut self, kind: u8, body: &[u8]) -> io::Result<()> {
        let mut record = Vec::with_capacity(HEADER + 1 + body.len());
        record.extend_from_slice(&((1 + body.len()) as u32).to_le_bytes());
        record.extend_from_slice(&[0; 8]);
        record.push(kind);
        record.extend_from_slice(body);
        let checksum = xxh3_64(&record[HEADER..]);
        record[4..HEADER].copy_from_slice(&checksum.to_le_bytes());
        self.file.write_all(&record)?;
        self.file.sync_data()
    }

    /// Closes the file being written and starts the next; returns the closed file's
    /// number, which a commit of everything appended so far covers.
    pub fn rotate(&mut self) -> io::Result<u64> {
        let closed = self.number;
        self.file = create(&self.dir, closed + 1)?;
        self.number = closed + 1;
        Ok(closed)
    }

    /// The records of the files numbered up to `number`, oldest first.
    pub fn records_through(dir: &Path, number: u64) -> io::Result<Vec<Record>> {
        let mut records = Vec::new();
        for n in file_numbers(dir)? {
            if n <= number {
                records.extend(read_records(&file_path(dir, n))?);
            }
        }
        Ok(records)
    }

    /// Deletes the files numbered up to `number`, whose records a commit holds.
    pub fn remove_through(dir: &Path, number: u64) -> io::Result<()> {
        for n in file_numbers(dir)? {
            if n <= number {
                fs::remove_file(file_path(dir, n))?;
            }
        }
        Ok(())
    }
}

fn file_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.wal"))
}

fn create(dir: &Path, number: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(file_path(dir, number))?;
    // The new name must survive a crash too, or a record in it could vanish with it.
    File::open(dir)?.sync_all()?;
    Ok(file)
}

/// The numbers of the log files in `dir`, ascending.
fn file_numbers(dir: &Path) -> io::Result<Vec<u64>> {
    let mut numbers = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".wal")) else {
            continue;
        };
        if let Ok(n) = stem.parse() {
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// The whole records of one file; reading stops at the first record that is cut short
/// or fails its checksum (the tail a crash left).
fn read_records(path: &Path) -> io::Result<Vec<Record>> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    let mut records = Vec::new();
    let mut at = 0;
    while bytes.len() - at >= HEADER {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let checksum = u64::from_le_bytes(bytes[at + 4..at + HEADER].try_into().expect("8 bytes"));
        let start = at + HEADER;
        let Some(rest) = bytes.get(start..start + len) else {
            break;
        };
        if len == 0 || xxh3_64(rest) != checksum {
            break;
        }
        records.push(Record {
            kind: rest[0],
            body: rest[1..].to_vec(),
        });
        at = start + len;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of the log files in `dir`.
    fn files(dir: &Path) -> Vec<u64> {
        file_numbers(dir).unwrap()
    }

    #[test]
    fn a_second_opening_of_a_folder_fails_until_the_first_log_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        wal.append(1, b"kept").unwrap();
        let refused = Wal::open(dir.path()).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::WouldBlock);
        assert!(
            refused.to_string().contains("one server per log folder"),
            "{refused}"
        );
        assert_eq!(files(dir.path()), [1], "a refused opening leaves the files alone");
        drop(wal);
        let (_, records) = Wal::open(dir.path()).unwrap();
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn opening_deletes_the_files_without_a_whole_record() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..3 {
            drop(Wal::open(dir.path()).unwrap());
        }
        assert_eq!(
            files(dir.path()),
            [3],
            "restarts with nothing received pile up no files"
        );
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        wal.append(1, b"whole").unwrap();
        wal.rotate().unwrap();
        wal.append(2, b"torn").unwrap();
        drop(wal);
        let torn = file_path(dir.path(), 5);
        let len = fs::metadata(&torn).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&torn)
            .unwrap()
            .set_len(len - 1)
            .unwrap();
        let (_, records) = Wal::open(dir.path()).unwrap();
        assert_eq!(
            records,
            vec![Record {
                kind: 1,
                body: b"whole".to_vec()
            }]
        );
        assert_eq!(
            files(dir.path()),
            [4, 6],
            "the file with a record stays until a commit"
        );
    }

    #[test]
    fn records_come_back_after_a_restart_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let wal_dir = dir.path().join("wal");
        let (mut wal, old) = Wal::open(&wal_dir).unwrap();
        assert!(old.is_empty());
        wal.append(1, b"first").unwrap();
        let closed = wal.rotate().unwrap();
        wal.append(2, b"second").unwrap();
        wal.append(2, b"third").unwrap();
        drop(wal);
        // A crash in the middle of a record: half of it reached the disk.
        let last = file_path(&wal_dir, closed + 1);
        let len = fs::metadata(&last).unwrap().len();
        let file = OpenOptions::new().write(true).open(&last).unwrap();
        file.set_len(len - 2).unwrap();
        let (mut wal, records) = Wal::open(&wal_dir).unwrap();
        let bodies: Vec<&[u8]> = records.iter().map(|r| r.body.as_slice()).collect();
        assert_eq!(bodies, [b"first".as_slice(), b"second".as_slice()]);
        assert_eq!(records[1].kind, 2);
        // A commit of everything so far covers every file before the new one.
        let covered = wal.rotate().unwrap();
        Wal::remove_through(&wal_dir, covered).unwrap();
        wal.append(3, b"after").unwrap();
        drop(wal);
        let (_, records) = Wal::open(&wal_dir).unwrap();
        assert_eq!(
            records,
            vec![Record {
                kind: 3,
                body: b"after".to_vec()
            }]
        );
    }
}
