//! Reading an ingest input line by line, the same way for every signal: line breaks
//! (`\n` or `\r\n`) stripped, UTF-8 checked, bytes counted for progress reports, and the
//! caller's cancellation honoured every few thousand lines.

use crate::error::IngestError;
use parquetry_model::Cancel;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many errors of skipped lines a report keeps.
pub const KEPT_SKIP_ERRORS: usize = 10;

/// What an ingest of one or more files did, summed over files.
pub trait IngestTally: Default {
    /// Bytes read from the inputs so far.
    fn bytes_read(&self) -> u64;
    /// Adds the report of one more file.
    fn absorb(&mut self, one: Self);
    /// Records the wall time of the whole ingest.
    fn set_elapsed(&mut self, elapsed: Duration);
}

/// Keeps the first [`KEPT_SKIP_ERRORS`] errors of skipped lines across files.
pub fn keep_skipped(kept: &mut Vec<IngestError>, more: Vec<IngestError>) {
    let room = KEPT_SKIP_ERRORS.saturating_sub(kept.len());
    kept.extend(more.into_iter().take(room));
}

/// Ingests each file with `one` (given the file's name, its buffered reader and a
/// progress callback for that file), one after another, summing their reports; stops at
/// the first failure. `progress` gets the bytes read so far across all files.
pub fn ingest_each<T: IngestTally>(
    paths: &[PathBuf],
    progress: &mut dyn FnMut(u64),
    mut one: impl FnMut(&Path, BufReader<File>, &mut dyn FnMut(u64)) -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    let started = Instant::now();
    let mut report = T::default();
    for path in paths {
        let file = File::open(path).map_err(|source| IngestError::Io {
            file: path.clone(),
            source,
        })?;
        let done = report.bytes_read();
        let r = one(path, BufReader::with_capacity(1 << 20, file), &mut |b| {
            progress(done + b)
        })?;
        report.absorb(r);
    }
    report.set_elapsed(started.elapsed());
    Ok(report)
}

/// Lines between progress reports and cancellation checks.
const CHECK_EVERY: u64 = 16_384;

/// An input read one line at a time.
pub struct InputLines<'a, R> {
    name: PathBuf,
    input: R,
    raw: Vec<u8>,
    line_no: u64,
    bytes_read: u64,
    cancel: &'a Cancel,
    progress: &'a mut dyn FnMut(u64),
}

impl<'a, R: BufRead> InputLines<'a, R> {
    /// Reads `input`, known as `name` in errors; `progress` gets the bytes read so far.
    pub fn new(name: &Path, input: R, cancel: &'a Cancel, progress: &'a mut dyn FnMut(u64)) -> Self {
        InputLines {
            name: name.to_path_buf(),
            input,
            raw: Vec::with_capacity(4096),
            line_no: 0,
            bytes_read: 0,
            cancel,
            progress,
        }
    }

    /// The next line without its line break: `Ok(None)` at the end, `Ok(Some(Err(column)))`
    /// when the line is not UTF-8 (1-based byte column of the first bad byte). Fails when
    /// the input cannot be read or the ingest was cancelled.
    pub fn next_line(&mut self) -> Result<Option<Result<&str, usize>>, IngestError> {
        self.raw.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.raw)
            .map_err(|source| IngestError::Io {
                file: self.name.clone(),
                source,
            })?;
        if n == 0 {
            (self.progress)(self.bytes_read);
            return Ok(None);
        }
        self.line_no += 1;
        self.bytes_read += n as u64;
        if self.line_no.is_multiple_of(CHECK_EVERY) {
            (self.progress)(self.bytes_read);
            if self.cancel.is_cancelled() {
                return Err(IngestError::Cancelled {
                    file: self.name.clone(),
                });
            }
        }
        Ok(Some(
            std::str::from_utf8(self.last_line()).map_err(|e| e.valid_up_to() + 1),
        ))
    }

    /// The line returned last, without its line break, as bytes.
    pub fn last_line(&self) -> &[u8] {
        let line = self.raw.strip_suffix(b"\n").unwrap_or(&self.raw);
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    /// The 1-based number of the line returned last.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Bytes read so far, line breaks included.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The input's name.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// A syntax error at `column` (1-based) of line `line`.
    pub fn error_at(&self, line: u64, column: usize, message: impl Into<String>) -> IngestError {
        IngestError::Syntax {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_breaks_counts_bytes_and_flags_bad_utf8() {
        let input: &[u8] = b"one\r\ntwo\n\xffbad\nlast";
        let cancel = Cancel::default();
        let mut seen = 0;
        let mut progress = |b| seen = b;
        let mut lines = InputLines::new(Path::new("f.log"), input, &cancel, &mut progress);
        assert_eq!(lines.next_line().unwrap(), Some(Ok("one")));
        assert_eq!(lines.next_line().unwrap(), Some(Ok("two")));
        assert_eq!(lines.next_line().unwrap(), Some(Err(1)));
        assert_eq!(lines.next_line().unwrap(), Some(Ok("last")));
        assert_eq!(lines.line_no(), 4);
        assert_eq!(lines.next_line().unwrap(), None);
        assert_eq!(lines.bytes_read(), input.len() as u64);
        let err = lines.error_at(3, 1, "invalid UTF-8").to_string();
        assert_eq!(err, "f.log:3:1: invalid UTF-8");
        drop(lines);
        assert_eq!(seen, input.len() as u64);
    }
}
