//! Parsing the times and durations given on the command line.

use anyhow::{Context, Result};
use parquetry_model::time::{parse_duration, parse_timestamp};

/// A timestamp argument: RFC 3339 or Unix seconds.
pub fn timestamp(s: &str) -> Result<i64> {
    parse_timestamp(s).with_context(|| format!("reading the time {s:?}"))
}

/// A duration argument: `30s`, `5m`, `1h30m`.
pub fn duration(s: &str) -> Result<i64> {
    parse_duration(s).with_context(|| format!("reading the duration {s:?}"))
}

/// The optional `--start`/`--end` pair as a closed millisecond range (unbounded sides
/// default to the extremes).
pub fn range(start: Option<&str>, end: Option<&str>) -> Result<(i64, i64)> {
    let start = start.map(timestamp).transpose()?.unwrap_or(i64::MIN);
    let end = end.map(timestamp).transpose()?.unwrap_or(i64::MAX);
    anyhow::ensure!(start <= end, "--start must not be after --end");
    Ok((start, end))
}
