//! Parquetry: PromQL, LogQL and SQL over telemetry archived in Parquet.
//!
//! [`Engine`] is one snapshot of a store (a folder or an object-store URL): ingest files
//! into it, list and export series, query it with PromQL, LogQL and SQL, look traces up. [`Database`] holds a
//! store open for a long-lived user and keeps its snapshot current. The crates below
//! them are re-exported for finer control.
//!
//! ```no_run
//! use parquetry::Engine;
//! let engine = Engine::open("metrics-store")?;
//! for s in engine.series(r#"http_requests_total{code="500"}"#)? {
//!     println!("{}", s.labels);
//! }
//! # Ok::<(), parquetry::Error>(())
//! ```

mod backtests;
mod database;
mod engine;
mod error;
pub mod maintenance;
pub mod result_arrow;
pub mod signal;
mod source;
mod span_metrics_source;
#[cfg(feature = "sql")]
mod sql_session;
mod write_batch;

pub use arrow;
pub use database::{DEFAULT_AUTO_COMPACT_SEGMENTS, Database, LogStats, SpanStats, Stats};
pub use engine::{Engine, QueryOptions};
pub use error::Error;
pub use parquetry_logql as logql;
pub use parquetry_logs as logs;
pub use parquetry_model as model;
pub use parquetry_promql as promql;
pub use parquetry_rules as rules;
pub use parquetry_spans as spans;
#[cfg(feature = "sql")]
pub use parquetry_sql as sql;
pub use parquetry_store as store;
pub use parquetry_table as table;
pub use parquetry_traceql as traceql;
pub use signal::Signal;
pub use source::StoreSource;
pub use span_metrics_source::WithSpanMetrics;
pub use write_batch::WriteBatch;
