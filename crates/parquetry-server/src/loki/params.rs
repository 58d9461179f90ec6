//! Request parameters as Loki reads them: times in nanoseconds (integers of up to ten
//! digits are seconds, longer ones nanoseconds, numbers with a point fractional seconds,
//! or RFC 3339), steps as seconds or durations, `limit`, `direction`, `since`.

use crate::api_error::ApiError;
use crate::params::{Params, parse_api_duration};
use crate::request_log::now_ms;
use parquetry::logql::Direction;
use parquetry_model::time::{parse_duration, parse_rfc3339_ns};

const NANOS_PER_MS: i64 = 1_000_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Lines a log query returns when `limit` is absent, as in Loki.
pub const DEFAULT_LIMIT: usize = 100;

/// How far back `start` defaults to from `end`, as Loki's `since` default.
const DEFAULT_SINCE_NS: i64 = 3_600 * NANOS_PER_SECOND;

/// A time as Loki takes it, in nanoseconds.
pub fn parse_loki_time(text: &str) -> Result<i64, String> {
    let bad = || format!("cannot parse {text:?} as a timestamp: give nanoseconds, seconds or RFC 3339");
    if text.contains('.')
        && let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
    {
        let whole = seconds.trunc();
        // Loki keeps the fraction to the millisecond.
        let fraction_ms = ((seconds - whole) * 1000.0).round();
        let ns = whole * NANOS_PER_SECOND as f64 + fraction_ms * NANOS_PER_MS as f64;
        if ns.abs() >= i64::MAX as f64 {
            return Err(bad());
        }
        return Ok(ns as i64);
    }
    match text.parse::<i64>() {
        Ok(n) if text.trim_start_matches('-').len() <= 10 => n.checked_mul(NANOS_PER_SECOND).ok_or_else(bad),
        Ok(n) => Ok(n),
        Err(_) => parse_rfc3339_ns(text).ok_or_else(bad),
    }
}

/// The wall clock in nanoseconds.
pub fn now_ns() -> i64 {
    now_ms().saturating_mul(NANOS_PER_MS)
}

/// The Loki reading of a request's parameters.
pub struct LokiParams<'a>(pub &'a Params);

impl LokiParams<'_> {
    /// The time in `name` (nanoseconds), or `default` when absent or empty.
    pub fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.0.value(name) {
            "" => Ok(default),
            text => parse_loki_time(text).map_err(|why| ApiError::invalid_param(name, why)),
        }
    }

    /// `start` and `end`: `end` defaults to now, `start` to `since` (a duration, one
    /// hour by default) before `end` or now, whichever is earlier.
    pub fn bounds(&self) -> Result<(i64, i64), ApiError> {
        let now = now_ns();
        let since = match self.0.value("since") {
            "" => DEFAULT_SINCE_NS,
            text => parse_duration(text)
                .map_err(|e| ApiError::invalid_param("since", e))?
                .saturating_mul(NANOS_PER_MS),
        };
        let end = self.time_or("end", now)?;
        let start = self.time_or("start", end.min(now).saturating_sub(since))?;
        Ok((start, end))
    }

    /// `limit`: 100 when absent; it must be a positive integer.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.0.value("limit") {
            "" => Ok(DEFAULT_LIMIT),
            text => match text.parse::<i64>() {
                Ok(n) if n > 0 => Ok(n as usize),
                Ok(_) => Err(ApiError::bad_data("limit must be a positive value")),
                Err(_) => Err(ApiError::invalid_param(
                    "limit",
                    format!("{text:?} is not an integer"),
                )),
            },
        }
    }

    /// `direction`: backward (newest first) unless `forward` is asked for.
    pub fn direction(&self) -> Result<Direction, ApiError> {
        match self.0.value("direction") {
            "" => Ok(Direction::Backward),
            text => text
                .parse::<Direction>()
                .map_err(|_| ApiError::bad_data(format!("invalid direction '{text}'"))),
        }
    }

    /// The duration in `name` (seconds or a duration such as `30s`), nanoseconds;
    /// `None` when absent.
    pub fn duration(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.0.value(name) {
            "" => Ok(None),
            text => parse_api_duration(text)
                .map(|ms| Some(ms.saturating_mul(NANOS_PER_MS)))
                .map_err(ApiError::bad_data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_loki_reads_them() {
        assert_eq!(
            parse_loki_time("1700000000"),
            Ok(1_700_000_000 * NANOS_PER_SECOND)
        );
        assert_eq!(
            parse_loki_time("1700000000000000001"),
            Ok(1_700_000_000_000_000_001)
        );
        assert_eq!(parse_loki_time("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_loki_time("1.0004"), Ok(1_000_000_000));
        assert_eq!(parse_loki_time("1970-01-01T00:00:04Z"), Ok(4 * NANOS_PER_SECOND));
        assert!(parse_loki_time("soon").is_err());
    }

    #[test]
    fn limits_and_directions_are_checked() {
        let params = Params::from_parts("limit=0&direction=sideways", b"");
        let loki = LokiParams(&params);
        assert_eq!(
            loki.limit().unwrap_err().message,
            "limit must be a positive value"
        );
        assert_eq!(
            loki.direction().unwrap_err().message,
            "invalid direction 'sideways'"
        );
        let params = Params::from_parts("", b"");
        assert_eq!(LokiParams(&params).limit(), Ok(DEFAULT_LIMIT));
    }
}
