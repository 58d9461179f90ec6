//! One module per subcommand.

pub mod conformance;
pub mod demo;
pub mod export;
pub mod generate;
pub mod ingest;
pub mod logql;
pub mod maintain;
pub mod promql;
pub mod query;
pub mod rules;
pub mod series;
pub mod serve;
pub mod sql;
pub mod trace;
pub mod traceql;
