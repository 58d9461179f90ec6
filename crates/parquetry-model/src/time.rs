//! Durations and timestamps as users type them. All times are integer milliseconds since
//! the Unix epoch; all durations are integer milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};

/// A duration or timestamp string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {input:?}: expected {expected}")]
pub struct TimeError {
    /// "duration" or "timestamp".
    pub what: &'static str,
    /// The text as given.
    pub input: String,
    /// What would have been accepted.
    pub expected: &'static str,
}

const UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

const DURATION_EXPECTED: &str =
    "a Prometheus duration such as 30s, 5m or 1h30m (units y w d h m s ms, largest first)";

/// Parses a Prometheus duration (`1h30m`, `10s53ms`, `0`) into milliseconds.
///
/// Units must appear at most once each and in the order `y w d h m s ms`; there is no sign
/// and no fraction, exactly as Prometheus' `model.ParseDuration`.
pub fn parse_duration(s: &str) -> Result<i64, TimeError> {
    let err = || TimeError {
        what: "duration",
        input: s.to_string(),
        expected: DURATION_EXPECTED,
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut rest = s;
    let mut next_unit = 0usize;
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        // "ms" must be tried before "m".
        let (idx, unit) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())
            .ok_or_else(err)?;
        rest = &rest[unit.0.len()..];
        next_unit = idx + 1;
        total = n
            .checked_mul(unit.1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(err)?;
    }
    Ok(total)
}

/// Formats milliseconds the way Prometheus prints durations: `1h30m`, `10s53ms`, `0s`.
/// Negative durations get a leading `-`.
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    for (unit, size) in UNITS {
        let size = size as u64;
        if rest >= size {
            out.push_str(&(rest / size).to_string());
            out.push_str(unit);
            rest %= size;
        }
    }
    out
}

/// Parses a timestamp given as RFC 3339 (`2026-01-02T03:04:05Z`, with optional fraction and
/// offset) or as Unix seconds with an optional fraction (`1767323045.5`), into milliseconds.
pub fn parse_timestamp(s: &str) -> Result<i64, TimeError> {
    if let Ok(secs) = s.parse::<f64>()
        && secs.is_finite()
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| TimeError {
            what: "timestamp",
            input: s.to_string(),
            expected: "RFC 3339 (2026-01-02T03:04:05Z) or Unix seconds (1767323045)",
        })
}

/// Parses an RFC 3339 timestamp (`2026-01-02T03:04:05.123456789Z`, any offset) into
/// nanoseconds since the epoch, keeping every fraction digit; `None` when it is not one.
pub fn parse_rfc3339_ns(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok()?.timestamp_nanos_opt()
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC, with milliseconds only when
/// they are not zero.
pub fn format_timestamp(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => ms.to_string(),
    }
}

/// Formats nanoseconds since the epoch as RFC 3339 in UTC, with as many fraction digits
/// (3, 6 or 9) as the time needs.
pub fn format_timestamp_ns(ns: i64) -> String {
    let t = DateTime::<Utc>::from_timestamp_nanos(ns);
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Formats milliseconds since the epoch as the UTC date `YYYY-MM-DD`.
pub fn format_date(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_keeps_nanoseconds() {
        assert_eq!(
            parse_rfc3339_ns("1970-01-01T00:00:01.000000002Z"),
            Some(1_000_000_002)
        );
        assert_eq!(parse_rfc3339_ns("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339_ns("yesterday"), None);
    }

    #[test]
    fn durations_parse_like_prometheus() {
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("10s53ms"), Ok(10_053));
        assert_eq!(parse_duration("1y"), Ok(365 * 86_400_000));
        assert_eq!(parse_duration("2w1d"), Ok(15 * 86_400_000));
        for bad in ["", "5", "m", "1m1h", "1s1s", "-1m", "1.5m", "5 m", "1x"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_format_like_prometheus() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(10_053), "10s53ms");
        assert_eq!(format_duration(-60_000), "-1m");
        for ms in [1, 999, 61_001, 86_400_000 * 400 + 7] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
        }
    }

    #[test]
    fn timestamps_in_both_notations() {
        assert_eq!(parse_timestamp("1.5"), Ok(1500));
        assert_eq!(parse_timestamp("1970-01-01T00:01:00Z"), Ok(60_000));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00.250+01:00"), Ok(250));
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(format_timestamp(60_000), "1970-01-01T00:01:00Z");
        assert_eq!(format_timestamp(250), "1970-01-01T00:00:00.250Z");
        assert_eq!(format_date(86_400_000 * 365), "1971-01-01");
        assert_eq!(
            format_timestamp_ns(60_000_000_001),
            "1970-01-01T00:01:00.000000001Z"
        );
        assert_eq!(format_timestamp_ns(60_000_000_000), "1970-01-01T00:01:00Z");
    }
}
