//! The lexical layer: blanks and comments, names, string literals.

use super::error::{PResult, backtrack, fail};
use nom::Parser;
use nom::bytes::complete::{tag, take_while};
use nom::character::complete::satisfy;
use nom::combinator::recognize;
use nom::sequence::pair;

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
                let Some((_, e)) = chars.next() else { break };
                let simple = match e {
                    'a' => Some(0x07),
                    'b' => Some(0x08),
                    'f' => Some(0x0c),
                    'n' => Some(b'\n'),
                    'r' => Some(b'\r'),
                    't' => Some(b'\t'),
                    'v' => Some(0x0b),
                    '\\' => Some(b'\\'),
                    e if e == quote => Some(e as u8),
                    _ => None,
                };
                if let Some(b) = simple {
                    bytes.push(b);
                    continue;
                }
                let (digits, radix) = match e {
                    'x' => (2, 16),
                    'u' => (4, 16),
                    'U' => (8, 16),
                    '0'..='7' => (2, 8),
                    _ => return fail(escape_at, format!("unknown escape sequence '\\{e}'")),
                };
                let mut text = String::new();
                if radix == 8 {
                    text.push(e);
                }
                for _ in 0..digits {
                    match chars.next() {
                        Some((_, d)) if d.is_digit(radix) => text.push(d),
                        _ => return fail(escape_at, "invalid escape sequence: too few digits"),
                    }
                }
                let code = u32::from_str_radix(&text, radix).expect("digits were checked");
                match e {
                    'x' => bytes.push(code as u8),
                    '0'..='7' if code <= 0xff => bytes.push(code as u8),
                    'u' | 'U' => match char::from_u32(code) {
                        Some(ch) => bytes.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                        None => return fail(escape_at, "escape sequence is not a valid Unicode code point"),
                    },
                    _ => return fail(escape_at, "octal escape value above 255"),
                }
            }
            c => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    fail(i, format!("unterminated string: expected a closing {quote}"))
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
