//! PromQL syntax: parsing to a typed AST with spans, static type checks, and printing
//! back to canonical text.

pub mod api_ast;
pub mod ast;
pub mod check;
pub mod duration_expr;
pub mod error;
pub mod functions;
pub mod json;
pub mod lex;
pub mod literals;
pub mod nesting;
pub mod operators;
mod parser;
pub mod pretty;
pub mod printer;
pub mod selector;

pub use ast::Expr;
pub use error::ParseError;
pub use parser::{MAX_DEPTH, ParseOptions};
use selector::{SeriesMatchers, check_not_empty_matching, series_matchers};

fn to_parse_error(src: &str, e: nom::Err<error::PError<'_>>) -> ParseError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.into_parse_error(src),
        nom::Err::Incomplete(_) => ParseError::at(src, src.len(), "unexpected end of input"),
    }
}

/// Parses a PromQL expression with the stable language only.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    parse_with(src, ParseOptions::default())
}

/// Parses a PromQL expression with the given options, then applies Prometheus' static
/// type checks.
pub fn parse_with(src: &str, options: ParseOptions) -> Result<Expr, ParseError> {
    let (_, expr) = parser::Parser::new(src, options)
        .query()
        .map_err(|e| to_parse_error(src, e))?;
    check::check(&expr, src)?;
    Ok(expr)
}

/// Parses a plain series selector (`name{label="value", …}`) as used to list or export
/// series, with Prometheus' rule that at least one matcher must not match the empty
/// string.
pub fn parse_selector(src: &str) -> Result<SeriesMatchers, ParseError> {
    let parsed = series_matchers(src).and_then(|(rest, sel)| {
        check_not_empty_matching(src, &sel)?;
        if !lex::ws(rest).is_empty() {
            return error::fail(lex::ws(rest), "expected the end of the selector");
        }
        Ok((rest, sel))
    });
    parsed.map(|(_, sel)| sel).map_err(|e| to_parse_error(src, e))
}

#[cfg(test)]
mod tests;
