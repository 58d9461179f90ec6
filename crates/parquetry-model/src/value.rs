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
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "+Inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        format!("{v}")
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
    }

    #[test]
    fn junk_is_rejected() {
        for s in ["", "1_000", " 1", "1 ", "abc", "1.2.3", "0x"] {
            assert_eq!(parse_value(s), None, "{s:?}");
        }
    }
}
