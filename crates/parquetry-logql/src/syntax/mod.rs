//! LogQL syntax: parsing to a typed tree with spans, Loki's static checks, and printing
//! back to canonical text.

pub mod ast;
pub mod check;
pub mod json;
pub mod literals;
pub(crate) mod parser;
pub mod pattern;
pub mod printer;

pub use ast::Expr;
use parquetry_promql::syntax::error::PError;
pub use parquetry_promql::syntax::error::ParseError;
pub use parser::MAX_DEPTH;

/// Longest query accepted, as in Loki: 128 KiB.
pub const MAX_QUERY_BYTES: usize = 128 * 1024;

fn to_parse_error(src: &str, e: nom::Err<PError<'_>>) -> ParseError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.into_parse_error(src),
        nom::Err::Incomplete(_) => ParseError::at(src, src.len(), "unexpected end of input"),
    }
}

/// Parses a LogQL query and applies Loki's static checks (functions that need or refuse
/// `unwrap`, parameters, groupings, operand types, regular expressions and patterns).
/// Errors carry the line and column of the problem.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.len() > MAX_QUERY_BYTES {
        return Err(ParseError::at(
            src,
            0,
            format!(
                "query too long: {} bytes, the limit is {MAX_QUERY_BYTES}",
                src.len()
            ),
        ));
    }
    let (_, expr) = parser::Parser::new(src)
        .query()
        .map_err(|e| to_parse_error(src, e))?;
    check::check(&expr, src)?;
    Ok(expr)
}

/// Parses a metric query (one that returns samples); a log query is an error.
pub fn parse_metric(src: &str) -> Result<Expr, ParseError> {
    let expr = parse(src)?;
    if expr.is_log() {
        return Err(ParseError::at(
            src,
            expr.span().start,
            "expected a metric query, such as count_over_time({…}[5m]), found a log query",
        ));
    }
    Ok(expr)
}

/// Parses a log query (a selector and its pipeline); a metric query is an error.
pub fn parse_log(src: &str) -> Result<ast::LogExpr, ParseError> {
    match parse(src)? {
        Expr::Log(log) => Ok(log),
        other => Err(ParseError::at(
            src,
            other.span().start,
            "expected a log query {…} | pipeline, found a metric query",
        )),
    }
}

/// Parses a bare stream selector (`{app="api", env=~"prod|dev"}`), as the series and
/// label APIs take it: no pipeline, and at least one matcher that selects something.
pub fn parse_selector(src: &str) -> Result<Vec<parquetry_model::Matcher>, ParseError> {
    parser::Parser::new(src)
        .selector_only()
        .map(|(_, m)| m)
        .map_err(|e| to_parse_error(src, e))
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
