//! The lexical layer: blanks and comments, names, string literals.

use super::error::{PResult, backtrack, fail};
use nom::Parser;
use nom::bytes::complete::{tag, take_while};
use nom::character::complete::satisfy;
use nom::combinator::recognize;
use nom::sequence::pair;
use parquetry_model::go_string::decode_escape;

/// Skips blanks, line breaks and `#` comments (to the end of the line).
pub fn ws(mut i: &str) -> &str {
    loop {
        let trimmed = i.trim_start_matches([' ', '\t', '\n', '\r']);
        match trimmed.strip_prefix('#') {
            Some(comment) => i = comment.find('\n').map_or("", |n| &comment[n..]),
            None => return trimmed,
        }
    }
}

/// The exact text `t` after optional blanks.
pub fn token<'a>(t: &'static str) -> impl Fn(&'a str) -> PResult<'a, &'a str> {
    move |i| match tag::<_, _, super::error::PError>(t).parse(ws(i)) {
        Ok(ok) => Ok(ok),
        Err(_) => backtrack(ws(i), format!("expected {t:?}")),
    }
}

/// True for characters that may follow the first one of an identifier.
pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// A metric-name identifier after optional blanks: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn metric_identifier(i: &str) -> PResult<'_, &str> {
    let i = ws(i);
    let found: PResult<'_, &str> = recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_' || c == ':'),
        take_while(is_ident_char),
    ))
    .parse(i);
    found.or_else(|_| backtrack(i, "expected a metric name"))
}

/// A label-name identifier after optional blanks: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn label_identifier(i: &str) -> PResult<'_, &str> {
    let i = ws(i);
    let found: PResult<'_, &str> = recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i);
    found.or_else(|_| backtrack(i, "expected a label name"))
}

/// A string literal after optional blanks: `"…"` or `'…'` with Go escapes, or a raw
/// `` `…` `` string without escapes. Escaped bytes that are not UTF-8 become U+FFFD.
pub fn string_literal(i: &str) -> PResult<'_, String> {
    let i = ws(i);
    let Some(quote) = i.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) else {
        return backtrack(i, "expected a string");
    };
    let body = &i[1..];
    if quote == '`' {
        return match body.find('`') {
            Some(end) => Ok((&body[end + 1..], body[..end].to_string())),
            None => fail(i, "unterminated raw string: expected a closing '`'"),
        };
    }
    let mut bytes = Vec::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c == quote => {
                let rest = &body[at + 1..];
                // Go strings may hold any bytes; ours hold text, so bytes that do not form
                // UTF-8 become U+FFFD, which the evaluator refuses as a label name, just as
                // Prometheus refuses the raw bytes.
                return Ok((rest, String::from_utf8_lossy(&bytes).into_owned()));
            }
            '\n' => {
                return fail(
                    &body[at..],
                    "unterminated string: line break before the closing quote",
                );
            }
            '\\' => {
                let escape_at = &body[at..];
                let mut rest = body[at + 1..].chars();
                let before = rest.clone().count();
                if let Err(message) = decode_escape(&mut rest, quote, &mut bytes) {
                    return fail(escape_at, message);
                }
                // Skip what the escape consumed.
                for _ in 0..before - rest.count() {
                    chars.next();
                }
            }
            c => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    fail(i, format!("unterminated string: expected a closing {quote}"))
}

/// The identifier word (`[a-zA-Z_:][a-zA-Z0-9_:]*`) at the start of `i` after blanks, as
/// written, with the rest of the input.
pub fn word(i: &str) -> Option<(&str, &str)> {
    let i = ws(i);
    let first = i.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_' || first == ':') {
        return None;
    }
    let n = i.find(|c: char| !is_ident_char(c)).unwrap_or(i.len());
    Some((&i[n..], &i[..n]))
}

/// The rest of the input after the keyword `kw` (any case) written as a whole word, or
/// `None` when another word or no word is there.
pub fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    word(i)
        .filter(|(_, w)| w.eq_ignore_ascii_case(kw))
        .map(|(rest, _)| rest)
}

/// The message "expected X, found Y", Y being a short quote of what is at `at` (or "the
/// end of the query").
pub fn unexpected(at: &str, expected: &str) -> String {
    let found = match at.chars().next() {
        None => "the end of the query".to_string(),
        Some(_) => {
            let token: String = at.chars().take_while(|c| !c.is_whitespace()).take(12).collect();
            format!("{token:?}")
        }
    };
    format!("expected {expected}, found {found}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_and_comments_are_skipped() {
        assert_eq!(ws("  # note\n\t x"), "x");
        assert_eq!(ws("# only a comment"), "");
    }

    #[test]
    fn strings_in_all_quote_styles() {
        assert_eq!(string_literal(r#" "a\"b\n""#).unwrap().1, "a\"b\n");
        assert_eq!(string_literal(r"'it\'s'").unwrap().1, "it's");
        assert_eq!(string_literal(r"`raw\n`").unwrap().1, "raw\\n");
        assert_eq!(
            string_literal(r#""\x41\101\u00e9\U0001F600""#).unwrap().1,
            "AAé😀"
        );
        assert!(string_literal(r#""\q""#).is_err());
        assert!(string_literal(r#""\'""#).is_err());
        assert!(string_literal("\"open").is_err());
        assert!(string_literal("\"a\nb\"").is_err());
        assert_eq!(string_literal(r#""a\xc5z""#).unwrap().1, "a\u{fffd}z");
    }

    #[test]
    fn identifiers() {
        assert_eq!(metric_identifier("  a:b_1{").unwrap(), ("{", "a:b_1"));
        assert_eq!(label_identifier("job=").unwrap(), ("=", "job"));
        assert!(label_identifier("a:b").is_ok_and(|(rest, _)| rest == ":b"));
        assert!(metric_identifier("1a").is_err());
    }
}
