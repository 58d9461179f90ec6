//! Sample values: Prometheus' NaN conventions and their text form.
//!
//! Prometheus distinguishes two NaNs by bit pattern: the *normal* NaN that a scrape or a
//! computation produces, and the *stale marker* that ends a series. Parquetry stores both
//! bit-exactly and never lets arithmetic turn one into the other silently.

/// Bit pattern of Prometheus' stale marker (`value.StaleNaN`).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Bit pattern of Prometheus' ordinary NaN (`value.NormalNaN`).
pub const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// The stale marker as an `f64`.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Prometheus' ordinary NaN as an `f64`.
pub fn normal_nan() -> f64 {
    f64::from_bits(NORMAL_NAN_BITS)
}

/// True when `v` is exactly the stale marker.
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// The word the row formats use for the stale marker.
pub const STALE_WORD: &str = "stale";

/// Formats a value the way Prometheus' HTTP API does: shortest round-trip decimal without
/// an exponent, `NaN`, `+Inf`, `-Inf`. The stale marker prints as `NaN` here.
pub fn format_api_value(v: f64) -> String {
    let mut out = String::with_capacity(24);
    write_api_value(&mut out, v);
    out
}

/// [`format_api_value`] appended to `out`, without a string of its own: the writers of
/// large answers call it once per point. The digits are the shortest that read back as
/// `v`, the closest to it where several are that short, as Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)` chooses them (Żmij's, a Schubfach search).
pub fn write_api_value(out: &mut String, v: f64) {
    let magnitude = v.abs();
    let whole = v as i64 as f64 == v;
    if (PLAIN_DIGITS_FROM..PLAIN_DIGITS_BELOW).contains(&magnitude) && !whole {
        // Most values: Żmij writes these without an exponent, and (not being whole) without
        // the `.0` it adds to whole numbers, so its text is Go's as it stands.
        out.push_str(zmij::Buffer::new().format_finite(v));
    } else if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else if magnitude < EXACT_INTEGERS && whole && !(v == 0.0 && v.is_sign_negative()) {
        // Counts, gauges of whole units and `up`: the integer's own digits are the shortest
        // text, and itoa writes them without a digit search. (The cast back and forth
        // tests wholeness without a call to `trunc`.)
        out.push_str(itoa::Buffer::new().format(v as i64));
    } else {
        write_finite(out, v);
    }
}

/// Any finite `v` in Go's `'f'` format: Żmij's text with its `.0` or exponent undone.
fn write_finite(out: &mut String, v: f64) {
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(v);
    match text.bytes().rposition(|b| b == b'e') {
        None => out.push_str(text.strip_suffix(".0").unwrap_or(text)),
        Some(e) => write_positional(out, &text[..e], &text[e + 1..]),
    }
}

/// Żmij writes a number without an exponent when the first digit of its shortest text
/// stands from 10^-5 to 10^15. Values from this bound up to [`PLAIN_DIGITS_BELOW`] keep
/// their first digit's place in that span even when the shortest text rounds up to the
/// next power of ten. Below 2^52 the doubles are closer than 1 apart, so a value that is
/// not whole never has a whole number as its shortest text (that number would read back
/// as itself).
const PLAIN_DIGITS_FROM: f64 = 1e-5;

/// See [`PLAIN_DIGITS_FROM`].
const PLAIN_DIGITS_BELOW: f64 = 1e15;

/// Whole values below this (2^53) are integers an `i64` holds exactly.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// A mantissa `d.ddd` (or `d`, after an optional `-`) and its exponent (`+NN`, `-NN` or
/// `NN`) written out without the exponent, as Go's `'f'` format does: the digits are
/// appended piece by piece around the decimal point, never joined first.
fn write_positional(out: &mut String, mantissa: &str, exponent: &str) {
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let count = whole.len() + fraction.len();
    let point = whole.len() as i64 + exponent.parse::<i64>().unwrap_or(0);
    out.push_str(sign);
    if point <= 0 {
        out.push_str("0.");
        push_zeros(out, (-point) as usize);
        out.push_str(whole);
        out.push_str(fraction);
    } else if point as usize >= count {
        out.push_str(whole);
        out.push_str(fraction);
        push_zeros(out, point as usize - count);
    } else if (point as usize) <= whole.len() {
        let (left, right) = whole.split_at(point as usize);
        out.push_str(left);
        out.push('.');
        out.push_str(right);
        out.push_str(fraction);
    } else {
        let (left, right) = fraction.split_at(point as usize - whole.len());
        out.push_str(whole);
        out.push_str(left);
        out.push('.');
        out.push_str(right);
    }
}

/// Appends `n` zeros, up to 64 at a time.
fn push_zeros(out: &mut String, mut n: usize) {
    const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
    while n > 0 {
        let k = n.min(ZEROS.len());
        out.push_str(&ZEROS[..k]);
        n -= k;
    }
}

/// Formats a stored value for the row formats (JSONL/CSV): like [`format_api_value`], but
/// the stale marker is written as `stale` so that a round trip keeps it.
pub fn format_row_value(v: f64) -> String {
    if is_stale_nan(v) {
        STALE_WORD.to_string()
    } else {
        format_api_value(v)
    }
}

/// Parses a value as the exposition formats write it: decimal with optional exponent,
/// `NaN`, `Inf`/`+Inf`/`-Inf` (any case), and `stale` for the stale marker. Every NaN
/// becomes Prometheus' normal NaN. Returns `None` for anything else.
pub fn parse_value(s: &str) -> Option<f64> {
    if s == STALE_WORD {
        return Some(stale_nan());
    }
    let b = s.as_bytes();
    // Rust's parser accepts what Go's ParseFloat accepts for decimal input (a sign, an
    // exponent, `inf`/`infinity`/`nan` in any case); underscores and blanks are refused here
    // because the exposition formats do not allow them.
    if b.is_empty() || b.iter().any(|c| c.is_ascii_whitespace() || *c == b'_') {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    Some(if v.is_nan() { normal_nan() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repeatable stream of pseudo-random words (xorshift64) from `seed`.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn special_values_round_trip() {
        for v in [0.0, -0.0, 1.5, 1e300, -2.5e-300, f64::INFINITY, f64::NEG_INFINITY] {
            let s = format_row_value(v);
            assert_eq!(parse_value(&s).unwrap().to_bits(), v.to_bits(), "{s}");
        }
        assert_eq!(
            parse_value(&format_row_value(stale_nan())).unwrap().to_bits(),
            STALE_NAN_BITS
        );
        assert_eq!(parse_value("NaN").unwrap().to_bits(), NORMAL_NAN_BITS);
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("-inf"), Some(f64::NEG_INFINITY));
    }

    #[test]
    fn api_format_matches_prometheus() {
        assert_eq!(format_api_value(1.0), "1");
        assert_eq!(format_api_value(0.1), "0.1");
        assert_eq!(format_api_value(1e21), "1000000000000000000000");
        assert_eq!(format_api_value(stale_nan()), "NaN");
        assert_eq!(format_api_value(-0.0), "-0");
        assert_eq!(format_api_value(123456.0), "123456");
        assert_eq!(format_api_value(-42.0), "-42");
        // The last whole values written as integers, and the first written through the
        // digit search.
        assert_eq!(format_api_value(9_007_199_254_740_991.0), "9007199254740991");
        assert_eq!(format_api_value(-9_007_199_254_740_991.0), "-9007199254740991");
        assert_eq!(format_api_value(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(format_api_value(9_007_199_254_740_994.0), "9007199254740994");
    }

    #[test]
    fn api_values_are_shortest_round_trips_without_exponent() {
        // Where two 17-digit texts round-trip, Prometheus (Go) writes this one.
        assert_eq!(format_api_value(1658206780088562.2), "1658206780088562.2");
        assert_eq!(format_api_value(1.5e-7), "0.00000015");
        assert_eq!(format_api_value(-2.5e20), "-250000000000000000000");
        // More zeros than are copied at once.
        assert_eq!(format_api_value(5e-324), format!("0.{}5", "0".repeat(323)));
        assert_eq!(format_api_value(1.7976931348623157e308).len(), 309);
        // Values from random bit patterns (every magnitude) and from random decimals
        // (the values telemetry has): each reads back as itself, in as few digits as the
        // standard formatter's shortest text.
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let significant = |text: &str| {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            digits.trim_matches('0').len()
        };
        for _ in 0..200_000 {
            let bits = f64::from_bits(next());
            let decimal = (next() % 1_000_000_000) as f64 / 10f64.powi((next() % 12) as i32);
            for v in [bits, decimal, -decimal] {
                if v.is_finite() {
                    let text = format_api_value(v);
                    assert!(!text.contains('e'), "{text}");
                    assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{text}");
                    assert_eq!(significant(&text), significant(&format!("{v}")), "{text}");
                }
            }
        }
    }

    #[test]
    fn the_plain_digits_shortcut_writes_what_the_general_path_writes() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        // Both bounds and their neighbours, values that round up to a power of ten, and
        // random values of every magnitude in between.
        let mut values = vec![
            0.1,
            0.5,
            2.5124999999999997,
            9.99999999999999e-6,
            999999999999999.9,
        ];
        for bound in [PLAIN_DIGITS_FROM, PLAIN_DIGITS_BELOW, 1.0, 1e8] {
            let bits = bound.to_bits();
            values.extend((bits - 50..bits + 50).map(f64::from_bits));
        }
        values.extend((0..100_000).map(|_| {
            let exponent = (next() % 24) as i32 - 7;
            (next() >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi(exponent)
        }));
        for v in values.into_iter().flat_map(|v| [v, -v]) {
            let (mut shortcut, mut general) = (String::new(), String::new());
            write_api_value(&mut shortcut, v);
            if v.is_finite() && !(v as i64 as f64 == v && v.abs() < EXACT_INTEGERS) {
                write_finite(&mut general, v);
                assert_eq!(shortcut, general, "{v:e}");
            }
        }
    }

    #[test]
    fn junk_is_rejected() {
        for s in ["", "1_000", " 1", "1 ", "abc", "1.2.3", "0x"] {
            assert_eq!(parse_value(s), None, "{s:?}");
        }
    }
}
