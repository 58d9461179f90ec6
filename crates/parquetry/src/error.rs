//! The facade's error type.

/// Anything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query or selector (PromQL or LogQL) does not parse.
    #[error("parse error at {0}")]
    Parse(#[from] parquetry_promql::ParseError),
    /// The store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] parquetry_store::StoreError),
    /// A query could not be evaluated.
    #[error(transparent)]
    Eval(#[from] parquetry_promql::eval::EvalError),
    /// A LogQL query could not be evaluated.
    #[error(transparent)]
    Logql(#[from] parquetry_logql::EvalError),
    /// A TraceQL query could not be evaluated (an invalid regular expression, a search
    /// where a metrics query is needed, …).
    #[error("{0}")]
    Traceql(String),
    /// An argument is malformed (a trace id that is not hex, …); the message says how.
    #[error("{0}")]
    InvalidArgument(String),
    /// An input file could not be ingested.
    #[error(transparent)]
    Ingest(#[from] parquetry_store::IngestError),
    /// A SQL statement failed to parse, plan or run, or was cancelled. (A store error met
    /// while it ran is [`Error::Store`].)
    #[cfg(feature = "sql")]
    #[error(transparent)]
    Sql(parquetry_sql::SqlError),
}

impl From<parquetry_traceql::eval::EvalError> for Error {
    fn from(e: parquetry_traceql::eval::EvalError) -> Error {
        match e {
            parquetry_traceql::eval::EvalError::Store(e) => Error::Store(e),
            parquetry_traceql::eval::EvalError::Invalid(message) => Error::Traceql(message),
            // Cancelled as any query is.
            parquetry_traceql::eval::EvalError::Cancelled => {
                Error::Eval(parquetry_promql::eval::EvalError::Cancelled)
            }
        }
    }
}

#[cfg(feature = "sql")]
impl From<parquetry_sql::SqlError> for Error {
    fn from(e: parquetry_sql::SqlError) -> Error {
        match e {
            parquetry_sql::SqlError::Store(e) => Error::Store(e),
            other => Error::Sql(other),
        }
    }
}
