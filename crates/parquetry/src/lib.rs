//! Parquetry: PromQL, LogQL and SQL over telemetry archived in Parquet.
//!
//! [`Engine`] is the entry point: open a store folder, ingest files into it, list and
//! export series. The crates below it are re-exported for finer control.
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
mod engine;
mod error;
pub mod result_arrow;
mod source;
#[cfg(feature = "sql")]
mod sql_session;

pub use arrow;
pub use engine::{Engine, QueryOptions};
pub use error::Error;
pub use parquetry_model as model;
pub use parquetry_promql as promql;
pub use parquetry_rules as rules;
#[cfg(feature = "sql")]
pub use parquetry_sql as sql;
pub use parquetry_store as store;
pub use source::StoreSource;
