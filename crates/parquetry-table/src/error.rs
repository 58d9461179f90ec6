//! Errors of a store: the one error type every layer above the table core keeps.

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
    /// A request to object storage failed.
    #[error("{path}: {reason}")]
    Remote {
        /// The object (or the store) involved, as a URL.
        path: PathBuf,
        /// What the object store answered, in one line.
        reason: String,
        /// True when the object does not exist.
        not_found: bool,
    },
    /// A commit could not be published because a concurrent commit removed what it
    /// builds on (for example, two compactions of the same files). Nothing of it is
    /// visible; run the operation again on the new version.
    #[error("commit conflict: {0}")]
    Conflict(String),
    /// A read was stopped because its caller cancelled it (a query whose request went
    /// away or timed out).
    #[error("cancelled")]
    Cancelled,
}

impl StoreError {
    /// True when the error says a file or object does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            StoreError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            StoreError::Remote { not_found, .. } => *not_found,
            StoreError::Parquet { source, .. } => matches!(
                source,
                parquet::errors::ParquetError::External(e)
                    if e.downcast_ref::<StoreError>().is_some_and(StoreError::is_not_found)
            ),
            _ => false,
        }
    }
}

/// A failure that stops the ingest of an input file, of any signal.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A malformed line.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        /// The input file.
        file: PathBuf,
        /// 1-based line number; one past the last line when the input ended too early.
        line: u64,
        /// 1-based byte column.
        column: usize,
        /// What was expected.
        message: String,
    },
    /// The input could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The input file.
        file: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The store could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller cancelled the ingest; the file being read was not committed.
    #[error("{}: ingest cancelled", file.display())]
    Cancelled {
        /// The input file whose ingest stopped.
        file: PathBuf,
    },
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Adds the path to an I/O error.
pub fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.into();
    move |source| StoreError::Io { path, source }
}

/// Adds the path to a Parquet error.
pub fn pq_err(path: impl Into<PathBuf>) -> impl FnOnce(parquet::errors::ParquetError) -> StoreError {
    let path = path.into();
    move |source| StoreError::Parquet { path, source }
}

/// Adds the path to an Arrow error met while building or reading store files.
pub fn arrow_err(path: impl Into<PathBuf>) -> impl FnOnce(arrow::error::ArrowError) -> StoreError {
    let path = path.into();
    move |e| StoreError::Corrupt {
        path,
        reason: e.to_string(),
    }
}
