//! Reading the timestamps that log lines carry: Unix epochs in seconds, milliseconds,
//! microseconds or nanoseconds (told apart by magnitude), RFC 3339, or a strftime
//! format, all to nanoseconds since the epoch.

use chrono::{DateTime, NaiveDateTime};

/// Why a timestamp could not be read.
pub type TimeResult = Result<i64, String>;

/// Nanoseconds from a Unix epoch number, its unit told by its magnitude: below 10^11 it
/// is seconds (fractions allowed), below 10^14 milliseconds, below 10^17 microseconds,
/// else nanoseconds. Fails for times outside what 64-bit nanoseconds hold (1677–2262).
pub fn from_epoch(value: f64) -> TimeResult {
    if value.fract() == 0.0 && value.abs() < 9e18 {
        return from_epoch_int(value as i64);
    }
    let nanos = value * unit_of(value.abs()) as f64;
    if !nanos.is_finite() || nanos >= i64::MAX as f64 || nanos <= i64::MIN as f64 {
        return Err(out_of_range(value));
    }
    Ok(nanos.round() as i64)
}

/// Nanoseconds per unit of an epoch of this magnitude.
fn unit_of(magnitude: f64) -> i64 {
    if magnitude < 1e11 {
        1_000_000_000
    } else if magnitude < 1e14 {
        1_000_000
    } else if magnitude < 1e17 {
        1_000
    } else {
        1
    }
}

fn from_epoch_int(n: i64) -> TimeResult {
    n.checked_mul(unit_of(n.unsigned_abs() as f64))
        .ok_or_else(|| out_of_range(n))
}

fn out_of_range(value: impl std::fmt::Display) -> String {
    format!("timestamp {value} is out of range (years 1677 to 2262)")
}

/// Nanoseconds from an integer epoch given as text, exact for nanoseconds.
fn from_epoch_text(s: &str) -> Option<TimeResult> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        s.parse::<i64>()
            .map_err(|_| out_of_range(s))
            .and_then(from_epoch_int),
    )
}

/// Nanoseconds from text: an epoch number (see [`from_epoch`]), RFC 3339
/// (`2026-01-02T03:04:05.123Z`), or the same with a space for the `T` and, without an
/// offset, read as UTC.
pub fn from_text(s: &str) -> TimeResult {
    let s = s.trim();
    if let Some(r) = from_epoch_text(s) {
        return r;
    }
    if let Ok(f) = s.parse::<f64>() {
        return from_epoch(f);
    }
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z").map(|t| t.to_utc()))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%d %H:%M:%S%.f")
                .map(|t| t.and_utc())
        })
        .or_else(|_| {
            NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .map(|t| t.and_utc())
        })
        .map_err(|_| format!("{s:?} is not a timestamp (expected RFC 3339 or a Unix epoch)"))?;
    parsed
        .timestamp_nanos_opt()
        .ok_or_else(|| format!("timestamp {s} is out of range (years 1677 to 2262)"))
}

/// Nanoseconds from text in the strftime `format` (chrono's syntax); without an offset
/// in the format, the time is read as UTC.
pub fn from_format(s: &str, format: &str) -> TimeResult {
    let parsed = DateTime::parse_from_str(s, format)
        .map(|t| t.to_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(s, format).map(|t| t.and_utc()))
        .map_err(|e| format!("{s:?} does not match the timestamp format {format:?}: {e}"))?;
    parsed
        .timestamp_nanos_opt()
        .ok_or_else(|| format!("timestamp {s} is out of range (years 1677 to 2262)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_767_323_045_000_000_000; // 2026-01-02T03:04:05Z

    #[test]
    fn epochs_in_every_unit() {
        assert_eq!(from_text("1767323045").unwrap(), T);
        assert_eq!(from_text("1767323045.5").unwrap(), T + 500_000_000);
        assert_eq!(from_text("1767323045123").unwrap(), T + 123_000_000);
        assert_eq!(from_text("1767323045123456").unwrap(), T + 123_456_000);
        assert_eq!(from_text("1767323045123456789").unwrap(), T + 123_456_789);
        assert_eq!(from_epoch(1767323045123.0).unwrap(), T + 123_000_000);
    }

    #[test]
    fn rfc3339_and_common_variants() {
        assert_eq!(from_text("2026-01-02T03:04:05Z").unwrap(), T);
        assert_eq!(from_text("2026-01-02T04:04:05.000000001+01:00").unwrap(), T + 1);
        assert_eq!(from_text("2026-01-02 03:04:05.25").unwrap(), T + 250_000_000);
        assert_eq!(from_text("2026-01-02T03:04:05").unwrap(), T);
    }

    #[test]
    fn formats_and_failures() {
        assert_eq!(
            from_format("02/Jan/2026:03:04:05 +0000", "%d/%b/%Y:%H:%M:%S %z").unwrap(),
            T
        );
        assert_eq!(
            from_format("2026-01-02 03:04:05", "%Y-%m-%d %H:%M:%S").unwrap(),
            T
        );
        assert!(from_text("yesterday").unwrap_err().contains("not a timestamp"));
        assert!(
            from_text("3000-01-01T00:00:00Z")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            from_text("99999999999999999999")
                .unwrap_err()
                .contains("out of range")
        );
    }
}
