//! TraceQL's syntax: the tree ([`ast`]), the parser (nom, with positioned errors, on
//! PromQL's lexical layer) and the canonical printer.

pub mod ast;
mod parser;
pub mod printer;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use ast::Query;
pub use parquetry_promql::syntax::error::ParseError;
pub use parser::MAX_DEPTH;

/// Parses a TraceQL query, or says where and why it does not parse.
pub fn parse(src: &str) -> Result<Query, ParseError> {
    match parser::Parser::new(src).query() {
        Ok((_, q)) => Ok(q),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_parse_error(src)),
        Err(nom::Err::Incomplete(_)) => Err(ParseError::at(src, src.len(), "incomplete query")),
    }
}
