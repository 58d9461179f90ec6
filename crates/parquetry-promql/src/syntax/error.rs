//! Parse errors: what was expected, where, shown with a caret under the text.

use std::borrow::Cow;
use std::fmt;

/// A query that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// Byte offset of the problem in the query.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What was expected, or what is wrong.
    pub message: String,
    /// The query line the problem is on.
    pub source_line: String,
}

impl ParseError {
    /// An error at byte `offset` of `src`.
    pub fn at(src: &str, offset: usize, message: impl Into<String>) -> ParseError {
        let offset = offset.min(src.len());
        let before = &src[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
        ParseError {
            offset,
            line: before.matches('\n').count() + 1,
            column: src[line_start..offset].chars().count() + 1,
            message: message.into(),
            source_line: src[line_start..line_end].to_string(),
        }
    }
}

impl fmt::Display for ParseError {
    /// `1:14: expected ']' …`, then the query line and a caret under the column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        writeln!(f, "  {}", self.source_line)?;
        write!(f, "  {}^", " ".repeat(self.column - 1))
    }
}

/// The error nom combinators carry: the remaining input where parsing stopped and what
/// was expected there. Among alternatives, the one that got furthest wins.
#[derive(Debug, Clone, PartialEq)]
pub struct PError<'a> {
    /// The input left when the error happened; its length gives the position.
    pub rest: &'a str,
    /// What was expected (or what is wrong).
    pub message: Cow<'static, str>,
}

impl<'a> PError<'a> {
    /// An error at `rest` saying what was expected.
    pub fn new(rest: &'a str, message: impl Into<Cow<'static, str>>) -> PError<'a> {
        PError {
            rest,
            message: message.into(),
        }
    }

    /// Converts to a [`ParseError`] against the full source `src`.
    pub fn into_parse_error(self, src: &str) -> ParseError {
        ParseError::at(src, src.len() - self.rest.len(), self.message)
    }
}

impl<'a> nom::error::ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, kind: nom::error::ErrorKind) -> Self {
        PError::new(input, format!("unexpected input ({})", kind.description()))
    }

    fn append(_: &'a str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        if other.rest.len() <= self.rest.len() {
            other
        } else {
            self
        }
    }
}

/// Results of the internal parsers.
pub type PResult<'a, T> = nom::IResult<&'a str, T, PError<'a>>;

/// A recoverable error: alternatives may still match.
pub fn backtrack<'a, T>(rest: &'a str, message: impl Into<Cow<'static, str>>) -> PResult<'a, T> {
    Err(nom::Err::Error(PError::new(rest, message)))
}

/// A definite error: the input cannot be valid, stop here.
pub fn fail<'a, T>(rest: &'a str, message: impl Into<Cow<'static, str>>) -> PResult<'a, T> {
    Err(nom::Err::Failure(PError::new(rest, message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_and_caret() {
        let e = ParseError::at("sum(\n  rate(x[5m)\n)", 17, "expected ']'");
        assert_eq!((e.line, e.column), (2, 13));
        assert_eq!(
            e.to_string(),
            "2:13: expected ']'\n    rate(x[5m)\n              ^"
        );
    }
}
