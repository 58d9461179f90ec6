//! LogQL, Loki's query language, for Parquetry.
//!
//! [`syntax`] parses a query into a typed tree with positioned errors and prints a tree
//! back as canonical text; [`eval`] runs pipelines and queries with Loki's semantics. The lexical layer, label matchers and the grammar of binary
//! operators and groupings are PromQL's, shared with `parquetry-promql`.

pub mod eval;
pub mod syntax;

pub use eval::log_query::{Direction, LogParams, LogStream};
pub use eval::query::{Answer, QueryOutput, QueryParams, QueryStats, default_step, run_query};
pub use eval::{EvalError, Grid};
pub use syntax::{Expr, ParseError, parse};
