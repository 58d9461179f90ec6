//! Standard output for answers of any size.
//!
//! Rust's own standard output is line-buffered: every write looks for the last newline in
//! what it is given, a scan of the whole buffer that an answer of megabytes of JSON (one
//! line) pays on every write, and output of many lines goes to the system a line or so
//! at a time. Answers (PromQL and LogQL results, exports) go instead through a buffer of
//! their own straight to the same file descriptor, written in large pieces.

use std::io::{self, BufWriter, Write};

/// Bytes gathered before a write to the descriptor.
const BUFFER_BYTES: usize = 1 << 16;

/// Standard output, buffered by [`BUFFER_BYTES`] and written without a search for
/// newlines. Nothing written through Rust's `stdout()` may be pending when this is
/// made (the two are not ordered otherwise); the caller flushes it when done.
#[cfg(unix)]
pub fn answer_out() -> io::Result<impl Write> {
    use std::os::fd::AsFd;
    let descriptor = io::stdout().as_fd().try_clone_to_owned()?;
    Ok(BufWriter::with_capacity(
        BUFFER_BYTES,
        std::fs::File::from(descriptor),
    ))
}

/// Standard output, buffered by [`BUFFER_BYTES`] (where file descriptors are not
/// available, through Rust's `stdout()`); the caller flushes it when done.
#[cfg(not(unix))]
pub fn answer_out() -> io::Result<impl Write> {
    Ok(BufWriter::with_capacity(BUFFER_BYTES, io::stdout()))
}
