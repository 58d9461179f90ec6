//! PromQL for Parquetry.
//!
//! [`syntax`] turns query text into a typed AST with source spans and back into canonical
//! text; errors name the line and column and what was expected there. [`eval`] holds the
//! evaluation kernels.

pub mod eval;
pub mod series_notation;
pub mod syntax;

pub use syntax::{Expr, ParseError, ParseOptions, parse, parse_selector, parse_with};
