//! LogQL's literals: numbers as Go reads floats, durations in Go's and Prometheus' units,
//! and byte sizes. Strings, names, blanks and comments are PromQL's (`parquetry_promql`).

pub use parquetry_model::go_duration::{format_duration, parse_duration_nanos};
use parquetry_promql::syntax::error::{PResult, backtrack, fail};
use parquetry_promql::syntax::lex::{self, ws};

/// Byte-size units as LogQL spells them (decimal and binary multiples, upper case but
/// the `k` of `kB`).
const BYTE_UNITS: [(&str, u64); 14] = [
    ("B", 1),
    ("kB", 1_000),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("PB", 1_000_000_000_000_000),
    ("EB", 1_000_000_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("PiB", 1 << 50),
    ("EiB", 1 << 60),
];

/// A string literal after optional blanks, as PromQL reads it, except that escapes that
/// do not form UTF-8 (`"\\xa0"`) are an error rather than replaced.
pub fn string_literal(i: &str) -> PResult<'_, String> {
    let (rest, s) = lex::string_literal(i)?;
    let written = &i[..i.len() - rest.len()];
    if s.contains('\u{fffd}') && !written.contains('\u{fffd}') {
        return fail(ws(i), "invalid UTF-8 encoding in a string");
    }
    Ok((rest, s))
}

/// A literal in a label filter: the value decides the kind of comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FilterLiteral {
    /// A number.
    Number(f64),
    /// A duration in nanoseconds.
    Duration(i64),
    /// A byte size.
    Bytes(u64),
}

/// Length of the literal token at the start of `i`: letters, digits, `.`, micro signs,
/// and a sign right after an exponent mark.
fn token_len(i: &str) -> usize {
    let mut end = 0;
    let mut prev = ' ';
    for (at, c) in i.char_indices() {
        let exponent_sign = matches!(c, '+' | '-') && matches!(prev, 'e' | 'E' | 'p' | 'P');
        if !(c.is_ascii_alphanumeric() || c == '.' || c == 'µ' || c == 'μ' || exponent_sign) {
            break;
        }
        end = at + c.len_utf8();
        prev = c;
    }
    end
}

fn starts_literal(i: &str) -> bool {
    let b = i.as_bytes();
    b.first().is_some_and(u8::is_ascii_digit)
        || (b.first() == Some(&b'.') && b.get(1).is_some_and(u8::is_ascii_digit))
}

/// Reads `text` as Go's `strconv.ParseFloat` does for the literals LogQL's lexer passes
/// it: decimal floats and hexadecimal floats with a binary exponent (`0x1.8p3`).
pub fn parse_float(text: &str) -> Option<f64> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"));
    match hex {
        Some(hex) => parse_hex_float(hex),
        None => {
            let plain = text
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
            text.parse::<f64>().ok().filter(|v| plain && v.is_finite())
        }
    }
}

/// `h.hhhp±d` without its `0x`: Go requires the `p` exponent.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (mantissa, exponent) = text.split_once(['p', 'P'])?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in whole.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in fraction.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exponent)).filter(|v| v.is_finite())
}

/// Reads `text` as a byte size: a number and one of LogQL's units (`10MB`, `1.5KiB`).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let (_, scale) = BYTE_UNITS.iter().find(|(u, _)| *u == unit)?;
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(*scale);
    }
    let value: f64 = number.parse().ok()?;
    let bytes = value * *scale as f64;
    (bytes.is_finite() && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// A number after optional blanks, read as Go reads floats. No sign: callers read it.
pub fn number(i: &str) -> PResult<'_, f64> {
    let i = ws(i);
    if !starts_literal(i) {
        return backtrack(i, "expected a number");
    }
    let len = token_len(i);
    match parse_float(&i[..len]) {
        Some(v) => Ok((&i[len..], v)),
        None => fail(i, format!("unable to parse literal as a float: {:?}", &i[..len])),
    }
}

/// The value of a typed label filter after optional blanks: a number, a duration or a
/// byte size, told apart by their units.
pub fn filter_literal(i: &str) -> PResult<'_, FilterLiteral> {
    let i = ws(i);
    if !starts_literal(i) {
        return backtrack(i, "expected a number, a duration or a byte size");
    }
    let len = token_len(i);
    let text = &i[..len];
    let rest = &i[len..];
    if let Some(v) = parse_float(text) {
        return Ok((rest, FilterLiteral::Number(v)));
    }
    if let Some(b) = parse_bytes(text) {
        return Ok((rest, FilterLiteral::Bytes(b)));
    }
    match parse_duration_nanos(text) {
        Ok(nanos) => Ok((rest, FilterLiteral::Duration(nanos))),
        Err(_) if text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'.') => fail(
            i,
            format!(
                "unable to parse literal {text:?}: not a number, a duration (5m, 250ms) or a byte size (10MB, 1KiB)"
            ),
        ),
        Err(e) => fail(i, e),
    }
}

/// A duration token after optional blanks (as after `offset`), with an optional `-`.
pub fn signed_duration(i: &str) -> PResult<'_, i64> {
    let i = ws(i);
    let (negative, body) = match i.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, i),
    };
    if !starts_literal(body) {
        return fail(i, "expected a duration");
    }
    let len = token_len(body);
    match parse_duration_nanos(&body[..len]) {
        Ok(n) => Ok((&body[len..], if negative { -n } else { n })),
        Err(e) => fail(i, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_floats() {
        assert_eq!(parse_float("1.6"), Some(1.6));
        assert_eq!(parse_float("0x1p3"), Some(8.0));
        assert_eq!(parse_float("0x1.8p3"), Some(12.0));
        assert_eq!(parse_float("0x1A"), None);
        assert_eq!(parse_float("0b1010"), None);
        assert_eq!(parse_float("inf"), None);
        assert!(number("0o17").is_err());
    }

    #[test]
    fn filter_literals_by_unit() {
        assert_eq!(
            filter_literal(" 250ms").unwrap().1,
            FilterLiteral::Duration(250_000_000)
        );
        assert_eq!(
            filter_literal("20MB ").unwrap().1,
            FilterLiteral::Bytes(20_000_000)
        );
        assert_eq!(filter_literal("1.5KiB").unwrap().1, FilterLiteral::Bytes(1536));
        assert_eq!(filter_literal("5").unwrap().1, FilterLiteral::Number(5.0));
        assert!(filter_literal("1mb").is_err());
        assert!(filter_literal("0x10").is_err());
    }
}
