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
    /// A query could not be evaluated.
    #[error(transparent)]
    Eval(#[from] parquetry_promql::eval::EvalError),
    /// An input file could not be ingested.
    #[error(transparent)]
    Ingest(#[from] parquetry_store::IngestError),
    /// A SQL statement failed.
    #[cfg(feature = "sql")]
    #[error(transparent)]
    Sql(#[from] parquetry_sql::SqlError),
}
