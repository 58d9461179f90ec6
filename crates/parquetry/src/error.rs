//! The facade's error type.

/// Anything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query or selector does not parse.
    #[error("parse error at {0}")]
    Parse(#[from] parquetry_promql::ParseError),
    /// The store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] parquetry_store::StoreError),
    /// An input file could not be ingested.
    #[error(transparent)]
    Ingest(#[from] parquetry_store::IngestError),
}
