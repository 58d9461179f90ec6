//! Errors of the store.

use std::path::PathBuf;

/// Anything that can go wrong while opening, reading or committing to a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A Parquet file could not be written or read.
    #[error("{path}: parquet: {source}")]
    Parquet {
        /// The Parquet file involved.
        path: PathBuf,
        /// The Parquet library's error.
        source: parquet::errors::ParquetError,
    },
    /// A file of the store does not have the content the manifest promises.
    #[error("{path}: corrupt store file: {reason}")]
    Corrupt {
        /// The file involved.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The folder is not a store (no manifest) or has a layout this version cannot read.
    #[error("{path}: {reason}")]
    NotAStore {
        /// The folder that was opened.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A selection was refused, e.g. every matcher matches the empty string.
    #[error("invalid selection: {0}")]
    InvalidSelection(String),
    /// Data handed to a writer breaks its contract (unsorted, mismatched lengths).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Commit was stopped on purpose by a test's failure injection.
    #[cfg(test)]
    #[error("injected failure after {0:?}")]
    Injected(crate::commit::CommitStep),
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Adds the path to an I/O error.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io { path, source }
}

/// Adds the path to a Parquet error.
pub(crate) fn pq_err(path: impl Into<PathBuf>) -> impl FnOnce(parquet::errors::ParquetError) -> StoreError {
    let path = path.into();
    move |source| StoreError::Parquet { path, source }
}

/// Adds the path to an Arrow error met while building or reading store files.
pub(crate) fn arrow_err(path: impl Into<PathBuf>) -> impl FnOnce(arrow::error::ArrowError) -> StoreError {
    let path = path.into();
    move |e| StoreError::Corrupt {
        path,
        reason: e.to_string(),
    }
}
