//! Go's time layouts (`2006-01-02T15:04:05Z07:00`): formatting and parsing times with
//! them, in UTC, as the `date` and `toDate` template functions of Loki and Sprig do.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};

/// One element of a layout.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Chunk {
    /// Text written as is.
    Literal(String),
    /// A field of the time: its strftime spelling for parsing, and how to write it.
    Field(Field),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TzName,
    NumTz,
    NumColonTz,
    NumShortTz,
    IsoTz,
    IsoColonTz,
    /// `.000` (`zeros: true`) or `.999` (trailing zeros dropped), with the separator.
    Fraction {
        digits: usize,
        zeros: bool,
        separator: char,
    },
}

/// The layout's tokens, longest first where one is a prefix of another, as Go scans them.
const TOKENS: [(&str, Field); 27] = [
    ("January", Field::LongMonth),
    ("Jan", Field::Month),
    ("Monday", Field::LongWeekDay),
    ("Mon", Field::WeekDay),
    ("MST", Field::TzName),
    ("01", Field::ZeroMonth),
    ("02", Field::ZeroDay),
    ("03", Field::ZeroHour12),
    ("04", Field::ZeroMinute),
    ("05", Field::ZeroSecond),
    ("06", Field::Year),
    ("002", Field::ZeroYearDay),
    ("2006", Field::LongYear),
    ("_2", Field::UnderDay),
    ("15", Field::Hour),
    ("1", Field::NumMonth),
    ("2", Field::Day),
    ("3", Field::Hour12),
    ("4", Field::Minute),
    ("5", Field::Second),
    ("PM", Field::PM),
    ("pm", Field::Pm),
    ("-07:00", Field::NumColonTz),
    ("-0700", Field::NumTz),
    ("-07", Field::NumShortTz),
    ("Z07:00", Field::IsoColonTz),
    ("Z0700", Field::IsoTz),
];

/// Splits a layout into literal text and fields.
fn chunks(layout: &str) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut literal = String::new();
    let mut rest = layout;
    while let Some(c) = rest.chars().next() {
        if let Some((len, field)) = token_at(rest) {
            if !literal.is_empty() {
                out.push(Chunk::Literal(std::mem::take(&mut literal)));
            }
            out.push(Chunk::Field(field));
            rest = &rest[len..];
        } else {
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !literal.is_empty() {
        out.push(Chunk::Literal(literal));
    }
    out
}

/// The field a layout has at the start of `s`, and its length.
fn token_at(s: &str) -> Option<(usize, Field)> {
    let bytes = s.as_bytes();
    // `.000`, `,999`: a separator and a run of one digit, not followed by another digit.
    if let [sep @ (b'.' | b','), d @ (b'0' | b'9'), ..] = bytes {
        let digits = bytes[1..].iter().take_while(|b| *b == d).count();
        if !bytes.get(1 + digits).is_some_and(u8::is_ascii_digit) {
            let field = Field::Fraction {
                digits,
                zeros: *d == b'0',
                separator: *sep as char,
            };
            return Some((1 + digits, field));
        }
    }
    TOKENS
        .iter()
        .filter(|(t, _)| s.starts_with(t))
        .max_by_key(|(t, _)| t.len())
        .map(|(t, f)| (t.len(), *f))
}

/// Writes the UTC time `nanos` (since the epoch) in Go's `layout`.
pub fn format_layout(nanos: i64, layout: &str) -> String {
    let t = Utc.timestamp_nanos(nanos);
    let mut out = String::new();
    for chunk in chunks(layout) {
        match chunk {
            Chunk::Literal(s) => out.push_str(&s),
            Chunk::Field(f) => write_field(&mut out, &t, f),
        }
    }
    out
}

fn write_field(out: &mut String, t: &DateTime<Utc>, field: Field) {
    use std::fmt::Write;
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let _ = match field {
        Field::LongMonth => write!(out, "{}", t.format("%B")),
        Field::Month => write!(out, "{}", t.format("%b")),
        Field::NumMonth => write!(out, "{}", t.month()),
        Field::ZeroMonth => write!(out, "{:02}", t.month()),
        Field::LongWeekDay => write!(out, "{}", t.format("%A")),
        Field::WeekDay => write!(out, "{}", t.format("%a")),
        Field::Day => write!(out, "{}", t.day()),
        Field::UnderDay => write!(out, "{:>2}", t.day()),
        Field::ZeroDay => write!(out, "{:02}", t.day()),
        Field::ZeroYearDay => write!(out, "{:03}", t.ordinal()),
        Field::Hour => write!(out, "{:02}", t.hour()),
        Field::Hour12 => write!(out, "{hour12}"),
        Field::ZeroHour12 => write!(out, "{hour12:02}"),
        Field::Minute => write!(out, "{}", t.minute()),
        Field::ZeroMinute => write!(out, "{:02}", t.minute()),
        Field::Second => write!(out, "{}", t.second()),
        Field::ZeroSecond => write!(out, "{:02}", t.second()),
        Field::LongYear => write!(out, "{:04}", t.year()),
        Field::Year => write!(out, "{:02}", t.year().rem_euclid(100)),
        Field::PM => out.write_str(if t.hour() >= 12 { "PM" } else { "AM" }),
        Field::Pm => out.write_str(if t.hour() >= 12 { "pm" } else { "am" }),
        Field::TzName => out.write_str("UTC"),
        Field::NumTz => out.write_str("+0000"),
        Field::NumColonTz => out.write_str("+00:00"),
        Field::NumShortTz => out.write_str("+00"),
        Field::IsoTz | Field::IsoColonTz => out.write_str("Z"),
        Field::Fraction {
            digits,
            zeros,
            separator,
        } => {
            let all = format!("{:09}", t.nanosecond() % 1_000_000_000);
            let mut shown = all[..digits.min(9)].to_string();
            if !zeros {
                shown.truncate(shown.trim_end_matches('0').len());
            }
            if zeros || !shown.is_empty() {
                out.push(separator);
                out.push_str(&shown);
            }
            Ok(())
        }
    };
}

/// The strftime spelling of a field, for parsing.
fn strftime(field: Field) -> &'static str {
    match field {
        Field::LongMonth => "%B",
        Field::Month => "%b",
        Field::NumMonth => "%-m",
        Field::ZeroMonth => "%m",
        Field::LongWeekDay => "%A",
        Field::WeekDay => "%a",
        Field::Day => "%-d",
        Field::UnderDay => "%e",
        Field::ZeroDay => "%d",
        Field::ZeroYearDay => "%j",
        Field::Hour => "%H",
        Field::Hour12 => "%-I",
        Field::ZeroHour12 => "%I",
        Field::Minute => "%-M",
        Field::ZeroMinute => "%M",
        Field::Second => "%-S",
        Field::ZeroSecond => "%S",
        Field::LongYear => "%Y",
        Field::Year => "%y",
        Field::PM | Field::Pm => "%p",
        Field::TzName => "UTC",
        Field::NumTz | Field::NumShortTz => "%z",
        Field::NumColonTz => "%:z",
        Field::IsoTz | Field::IsoColonTz => "Z",
        Field::Fraction { .. } => "%.f",
    }
}

/// Reads `value` written in Go's `layout` as a UTC time, in nanoseconds since the epoch.
/// Fields the layout lacks take Go's zero time (year 0 becomes 1, January, the 1st).
pub fn parse_layout(value: &str, layout: &str) -> Result<i64, String> {
    let mut format = String::new();
    let mut has_date = false;
    let mut has_time = false;
    for chunk in chunks(layout) {
        match chunk {
            Chunk::Literal(s) => format.push_str(&s.replace('%', "%%")),
            Chunk::Field(f) => {
                has_date |= matches!(f, Field::LongYear | Field::Year);
                has_time |= matches!(f, Field::Hour | Field::Hour12 | Field::ZeroHour12);
                format.push_str(strftime(f));
            }
        }
    }
    let bad = |e: chrono::ParseError| format!("parsing time {value:?} as {layout:?}: {e}");
    let parsed = if has_date && has_time {
        NaiveDateTime::parse_from_str(value, &format).map_err(bad)?
    } else if has_date {
        chrono::NaiveDate::parse_from_str(value, &format)
            .map_err(bad)?
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
    } else {
        return Err(format!(
            "parsing time {value:?} as {layout:?}: the layout has no year"
        ));
    };
    parsed
        .and_utc()
        .timestamp_nanos_opt()
        .ok_or_else(|| format!("parsing time {value:?}: out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_767_323_045_026_000_000; // 2026-01-02T03:04:05.026Z, a Friday

    #[test]
    fn layouts_write_as_go_writes_them() {
        assert_eq!(
            format_layout(T, "2006-01-02T15:04:05Z07:00"),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            format_layout(T, "2006-01-02T15:04:05.00Z-07:00"),
            "2026-01-02T03:04:05.02Z+00:00"
        );
        assert_eq!(
            format_layout(T, "Mon Jan _2 3:04:05 PM MST 2006"),
            "Fri Jan  2 3:04:05 AM UTC 2026"
        );
        assert_eq!(format_layout(T, "January 2, 06 .999999"), "January 2, 26 .026");
        assert_eq!(format_layout(T, "002 Monday 1/2"), "002 Friday 1/2");
        assert_eq!(format_layout(T - 26_000_000, "15:04:05.999"), "03:04:05");
    }

    #[test]
    fn layouts_read_back() {
        assert_eq!(
            parse_layout("2026-01-02", "2006-01-02"),
            Ok(1_767_312_000_000_000_000)
        );
        assert_eq!(
            parse_layout("2026-01-02T03:04:05.026Z", "2006-01-02T15:04:05.000Z"),
            Ok(T)
        );
        assert!(parse_layout("yesterday", "2006-01-02").is_err());
        assert!(parse_layout("03:04", "15:04").is_err());
    }
}
