//! TraceQL for Parquetry.
//!
//! * [`syntax`]: the parser and the canonical printer.
//! * [`eval`]: searches (the spansets of each trace, Tempo's search response) and
//!   metrics queries (time series over the spans found) against a [`SpanStore`].
//!
//! [`SpanStore`]: parquetry_spans::SpanStore

pub mod eval;
pub mod syntax;

pub use syntax::{ParseError, Query, parse};
