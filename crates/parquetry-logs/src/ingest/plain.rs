//! Lines of plain log files: JSON objects (pino, structlog, …), logfmt, or text whose
//! time is found by a regular expression, a strftime format, or at the start of the line.

use super::fields::{FieldNames, JsonFields};
use super::timestamp;
use crate::entry::LogEntry;
use crate::logfmt;
use chrono::{DateTime, NaiveDateTime};
use regex::Regex;

/// How a plain line is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// One JSON object per line.
    Json,
    /// logfmt pairs.
    Logfmt,
    /// Free text.
    Text,
}

/// Where the time of a line is, beyond the structured fields.
#[derive(Clone, Debug, Default)]
pub struct TimeSource {
    /// A regular expression whose group `ts` (or first group, or whole match) is the time.
    pub regex: Option<Regex>,
    /// The strftime format of the time (chrono's syntax); without a regex it is matched
    /// at the start of the line.
    pub format: Option<String>,
}

impl TimeSource {
    /// A time source from the regular expression's text (checked here) and the format.
    pub fn new(regex: Option<&str>, format: Option<String>) -> Result<TimeSource, String> {
        let regex = regex
            .map(Regex::new)
            .transpose()
            .map_err(|e| format!("timestamp regex: {e}"))?;
        Ok(TimeSource { regex, format })
    }
}

/// A line that could not be read: 1-based byte column and what was wrong.
pub type LineError = (usize, String);

/// Reads one plain line into an entry, keeping the line exactly.
pub fn parse_line(
    line: &str,
    format: LineFormat,
    names: &FieldNames,
    time: &TimeSource,
) -> Result<LogEntry, LineError> {
    let mut entry = LogEntry::new(0, line);
    let from_fields = match format {
        LineFormat::Json => {
            let object = JsonFields::parse(line)
                .map_err(|e| (e.column().max(1), format!("not a JSON object: {e}")))?;
            names.fill_context(&object, &mut entry);
            names.timestamp_of(&object).map_err(|e| (1, e))?
        }
        LineFormat::Logfmt => {
            let pairs = logfmt::pairs(line);
            names.fill_context(&pairs, &mut entry);
            names.timestamp_of(&pairs).map_err(|e| (1, e))?
        }
        LineFormat::Text => None,
    };
    entry.timestamp = match (time.regex.as_ref(), time.format.as_deref(), from_fields) {
        (Some(re), format, _) => regex_time(line, re, format)?,
        (None, _, Some(t)) => t,
        (None, Some(format), None) => leading_formatted_time(line, format)?,
        (None, None, None) => match format {
            LineFormat::Text => leading_time(line)?,
            _ => {
                return Err((
                    1,
                    format!(
                        "no timestamp: the line has none of the fields {}",
                        names.timestamp.join(", ")
                    ),
                ));
            }
        },
    };
    Ok(entry)
}

fn regex_time(line: &str, re: &Regex, format: Option<&str>) -> Result<i64, LineError> {
    let caps = re.captures(line).ok_or_else(|| {
        (
            1,
            format!("no timestamp: the line does not match {:?}", re.as_str()),
        )
    })?;
    let m = caps
        .name("ts")
        .or_else(|| caps.get(1))
        .or_else(|| caps.get(0))
        .expect("a match has group 0");
    let text = m.as_str();
    match format {
        Some(f) => timestamp::from_format(text, f),
        None => timestamp::from_text(text),
    }
    .map_err(|e| (m.start() + 1, e))
}

fn leading_formatted_time(line: &str, format: &str) -> Result<i64, LineError> {
    let parsed = DateTime::parse_and_remainder(line, format)
        .map(|(t, _)| t.to_utc())
        .or_else(|_| NaiveDateTime::parse_and_remainder(line, format).map(|(t, _)| t.and_utc()))
        .map_err(|e| {
            (
                1,
                format!("the line does not start with a time in the format {format:?}: {e}"),
            )
        })?;
    parsed
        .timestamp_nanos_opt()
        .ok_or_else(|| (1, "timestamp out of range (years 1677 to 2262)".to_string()))
}

/// A time at the start of a text line: the first token, or the first two joined by a
/// space (`2026-01-02 03:04:05,123`), with brackets around it and a comma before the
/// fraction allowed.
fn leading_time(line: &str) -> Result<i64, LineError> {
    let mut tokens = line.split_ascii_whitespace();
    let first = tokens.next().unwrap_or("");
    let clean = |s: &str| s.trim_matches(|c| c == '[' || c == ']').replace(',', ".");
    let one = clean(first);
    if let Ok(t) = timestamp::from_text(&one)
        && (one.contains('-') || one.contains('T') || one.len() >= 10)
    {
        return Ok(t);
    }
    if let Some(second) = tokens.next()
        && let Ok(t) = timestamp::from_text(&clean(&format!("{first} {second}")))
    {
        return Ok(t);
    }
    Err((
        1,
        "no timestamp at the start of the line (give --timestamp-regex or --timestamp-format)".to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_767_323_045_000_000_000; // 2026-01-02T03:04:05Z

    fn read(line: &str, format: LineFormat) -> Result<LogEntry, LineError> {
        parse_line(line, format, &FieldNames::default(), &TimeSource::default())
    }

    #[test]
    fn json_lines_give_time_trace_and_level() {
        let line = r#"{"level":"error","time":1767323045123,"msg":"payment failed","traceId":"abc","spanId":"def","err":{"type":"Error"}}"#;
        let e = read(line, LineFormat::Json).unwrap();
        assert_eq!(e.timestamp, T + 123_000_000);
        assert_eq!(e.line, line);
        assert_eq!(e.trace_id.as_deref(), Some("abc"));
        assert_eq!(e.span_id.as_deref(), Some("def"));
        assert_eq!(e.severity.as_deref(), Some("error"));
    }

    #[test]
    fn logfmt_lines_give_time_and_trace() {
        let line = "ts=2026-01-02T03:04:05Z level=info method=GET path=/x status=200 trace_id=4bf9";
        let e = read(line, LineFormat::Logfmt).unwrap();
        assert_eq!((e.timestamp, e.trace_id.as_deref()), (T, Some("4bf9")));
    }

    #[test]
    fn text_lines_by_leading_time_regex_or_format() {
        assert_eq!(
            read("2026-01-02T03:04:05Z GC pause 12ms", LineFormat::Text)
                .unwrap()
                .timestamp,
            T
        );
        assert_eq!(
            read("2026-01-02 03:04:05,250 INFO started", LineFormat::Text)
                .unwrap()
                .timestamp,
            T + 250_000_000
        );
        let time = TimeSource {
            regex: Some(Regex::new(r"\[(?P<ts>[^\]]+)\]").unwrap()),
            format: Some("%d/%b/%Y:%H:%M:%S %z".into()),
        };
        let line = r#"10.0.0.1 - - [02/Jan/2026:03:04:05 +0000] "GET / HTTP/1.1" 200"#;
        let e = parse_line(line, LineFormat::Text, &FieldNames::default(), &time).unwrap();
        assert_eq!(e.timestamp, T);
        let format_only = TimeSource {
            regex: None,
            format: Some("%b %d %H:%M:%S %Y".into()),
        };
        let e = parse_line(
            "Jan 02 03:04:05 2026 kernel: oom",
            LineFormat::Text,
            &FieldNames::default(),
            &format_only,
        )
        .unwrap();
        assert_eq!(e.timestamp, T);
    }

    #[test]
    fn errors_say_where_and_what() {
        let (col, msg) = read(r#"{"level":"info","msg":"x"}"#, LineFormat::Json).unwrap_err();
        assert_eq!(col, 1);
        assert!(msg.contains("no timestamp"), "{msg}");
        let (col, msg) = read(r#"{"time":1,"msg":}"#, LineFormat::Json).unwrap_err();
        assert_eq!(col, 17);
        assert!(msg.contains("not a JSON object"), "{msg}");
        assert!(
            read("GC pause 12ms", LineFormat::Text)
                .unwrap_err()
                .1
                .contains("--timestamp-regex")
        );
        let (_, msg) = read(r#"{"time":"soon"}"#, LineFormat::Json).unwrap_err();
        assert!(msg.contains("\"time\""), "{msg}");
    }
}
