//! Counters of what reads touched, so that tests can check that selective reads stay
//! selective (on what was read, not on how long it took).

use std::sync::atomic::{AtomicU64, Ordering};

/// Files and rows read from a store snapshot since it was opened.
#[derive(Debug, Default)]
pub struct ReadStats {
    files: AtomicU64,
    rows: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCounts {
    /// Samples files opened for reading (one file may be read by several batches).
    pub files_read: u64,
    /// Sample rows read from them.
    pub rows_read: u64,
}

impl ReadStats {
    /// Counts one file read of `rows` rows.
    pub fn record(&self, rows: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn counts(&self) -> ReadCounts {
        ReadCounts {
            files_read: self.files.load(Ordering::Relaxed),
            rows_read: self.rows.load(Ordering::Relaxed),
        }
    }
}
