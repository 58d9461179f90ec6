//! PromQL syntax: lexing, parsing and errors.

pub mod error;
pub mod lex;
pub mod selector;

pub use error::ParseError;
use selector::{SeriesMatchers, check_not_empty_matching, series_matchers};

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
    parsed.map(|(_, sel)| sel).map_err(|e| match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.into_parse_error(src),
        nom::Err::Incomplete(_) => ParseError::at(src, src.len(), "unexpected end of input"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_or_explain() {
        assert_eq!(parse_selector(r#"up{job="a"}"#).unwrap().matchers.len(), 2);
        let e = parse_selector(r#"{job=~".*"}"#).unwrap_err();
        assert!(e.message.contains("at least one non-empty matcher"), "{e}");
        let e = parse_selector(r#"up{job="a"} x"#).unwrap_err();
        assert_eq!((e.line, e.column), (1, 13));
    }
}
