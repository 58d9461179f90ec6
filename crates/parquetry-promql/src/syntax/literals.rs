//! Number and duration literals.

use super::error::{PResult, backtrack, fail};
use super::lex::{is_ident_char, ws};
use parquetry_model::time::parse_duration;

/// A number or duration literal as written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    /// A plain number.
    Number(f64),
    /// A duration with units, in milliseconds.
    Duration(i64),
}

const DURATION_UNITS: &[u8] = b"smhdwy";

/// A number (`42`, `1.5e3`, `.5`, `2.`, `0x1f`, `1_000`, `Inf`, `NaN`) or a duration
/// (`5m`, `1h30m`, `10s53ms`) after optional blanks. Signs are not part of literals.
pub fn number_or_duration(i: &str) -> PResult<'_, Literal> {
    let i = ws(i);
    let b = i.as_bytes();
    // Inf and NaN are words.
    let word_len = i.bytes().take_while(|c| is_ident_char(*c as char)).count();
    if word_len > 0 && !b[0].is_ascii_digit() {
        let word = &i[..word_len];
        return if word.eq_ignore_ascii_case("inf") {
            Ok((&i[word_len..], Literal::Number(f64::INFINITY)))
        } else if word.eq_ignore_ascii_case("nan") {
            Ok((&i[word_len..], Literal::Number(f64::NAN)))
        } else {
            backtrack(i, "expected a number")
        };
    }
    let starts_number = b.first().is_some_and(u8::is_ascii_digit)
        || (b.first() == Some(&b'.') && b.get(1).is_some_and(u8::is_ascii_digit));
    if !starts_number {
        return backtrack(i, "expected a number");
    }
    if b.len() > 1 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        let digits = i[2..]
            .bytes()
            .take_while(|c| c.is_ascii_hexdigit() || *c == b'_')
            .count();
        let text = &i[2..2 + digits];
        let clean: String = text.chars().filter(|c| *c != '_').collect();
        if clean.is_empty() || !underscores_ok(text) {
            return fail(i, "invalid hexadecimal number");
        }
        let rest = &i[2 + digits..];
        return match u64::from_str_radix(&clean, 16) {
            Ok(v) => check_end(i, rest, Literal::Number(v as f64)),
            Err(_) => check_end(i, rest, Literal::Number(f64::INFINITY)),
        };
    }
    let mut n = b.iter().take_while(|c| c.is_ascii_digit() || **c == b'_').count();
    let mut fractional = false;
    if b.get(n) == Some(&b'.') {
        fractional = true;
        n += 1;
        n += b[n..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'_')
            .count();
    }
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let mut m = n + 1;
        if matches!(b.get(m), Some(b'+' | b'-')) {
            m += 1;
        }
        let digits = b[m..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            fractional = true;
            n = m + digits;
        }
    }
    // A unit right after an integer makes a duration.
    if !fractional && b.get(n).is_some_and(|c| DURATION_UNITS.contains(c)) {
        let len = duration_len(i);
        return match parse_duration(&i[..len]) {
            Ok(ms) => check_end(i, &i[len..], Literal::Duration(ms)),
            Err(_) => fail(
                i,
                format!(
                    "invalid duration {:?}: units must be in the order y w d h m s ms",
                    &i[..len]
                ),
            ),
        };
    }
    let text = &i[..n];
    if !underscores_ok(text) {
        return fail(i, "invalid number: underscores must separate digits");
    }
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let value = if !fractional
        && clean.len() > 1
        && clean.starts_with('0')
        && clean.bytes().all(|c| (b'0'..=b'7').contains(&c))
    {
        // Go reads a leading zero as octal, and so does Prometheus.
        u64::from_str_radix(&clean[1..], 8)
            .map(|v| v as f64)
            .unwrap_or(f64::INFINITY)
    } else {
        match clean.parse::<f64>() {
            Ok(v) => v,
            Err(_) => return fail(i, "invalid number"),
        }
    };
    check_end(i, &i[n..], Literal::Number(value))
}

/// Length of a duration literal: digit runs each followed by a unit.
fn duration_len(i: &str) -> usize {
    let b = i.as_bytes();
    let mut n = 0;
    loop {
        let digits = b[n..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return n;
        }
        let units = b[n + digits..]
            .iter()
            .take_while(|c| DURATION_UNITS.contains(c))
            .count();
        if units == 0 {
            return n;
        }
        n += digits + units;
    }
}

/// Underscores may only stand between two digits.
fn underscores_ok(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().all(|(k, c)| {
        *c != b'_'
            || (k > 0 && k + 1 < b.len() && b[k - 1].is_ascii_hexdigit() && b[k + 1].is_ascii_hexdigit())
    })
}

/// A literal must not run into an identifier (`5x`, `1.5m`).
fn check_end<'a>(start: &'a str, rest: &'a str, lit: Literal) -> PResult<'a, Literal> {
    match rest.chars().next() {
        // ':' may follow (a subquery's `[5m:1m]`); letters, digits, '_' and '.' may not.
        Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '.' => fail(
            start,
            format!(
                "invalid number or duration {:?}",
                &start[..start.len() - rest.len() + c.len_utf8()]
            ),
        ),
        _ => Ok((rest, lit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Literal {
        let (rest, l) = number_or_duration(s).unwrap();
        assert_eq!(rest, "", "{s}");
        l
    }

    #[test]
    fn numbers() {
        for (s, v) in [
            ("42", 42.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("2.", 2.0),
            ("1e3", 1000.0),
            ("12.34e-6", 0.00001234),
            ("0x3d", 61.0),
            ("1_000", 1000.0),
            ("010", 8.0),
            ("09", 9.0),
            ("Inf", f64::INFINITY),
            ("inF", f64::INFINITY),
        ] {
            assert_eq!(lit(s), Literal::Number(v), "{s}");
        }
        assert!(matches!(lit("NaN"), Literal::Number(v) if v.is_nan()));
    }

    #[test]
    fn durations() {
        assert_eq!(lit("5m"), Literal::Duration(300_000));
        assert_eq!(lit("1h30m"), Literal::Duration(5_400_000));
        assert_eq!(lit("10s53ms"), Literal::Duration(10_053));
    }

    #[test]
    fn malformed_literals_fail() {
        for s in ["1.5m", "5x", "1__0", "1_", "0x", "1m1h", "2.5.1"] {
            assert!(number_or_duration(s).is_err(), "{s}");
        }
        assert!(number_or_duration("Infinity").is_err());
        assert!(number_or_duration("abc").is_err());
    }
}
