//! The row formats: one sample per JSON line or CSV record, with the columns `metric`,
//! `labels`, `timestamp_ms` and `value`.
//!
//! JSONL: `{"metric":"up","labels":{"job":"api"},"timestamp_ms":1700000000000,"value":1}`.
//! CSV: a header `metric,labels,timestamp_ms,value`, then `up,"{job=""api""}",1700000000000,1`.
//! Values are JSON numbers (CSV: decimals), or the words `NaN`, `+Inf`, `-Inf` and
//! `stale` (JSON: as strings). [`RowWriter`] writes exactly what the readers accept, so an
//! export re-ingests to the same samples.

use super::LineParser;
use super::buffer::SeriesBuffer;
use super::series_text::{SyntaxError, parse_series};
use parquetry_model::labels::write_label_braces;
use parquetry_model::value::{format_row_value, parse_value};
use parquetry_model::{Labels, METRIC_NAME};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The CSV header line, without the line break.
pub const CSV_HEADER: &str = "metric,labels,timestamp_ms,value";

/// One JSONL row as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow<'a> {
    #[serde(borrow)]
    metric: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    labels: BTreeMap<std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>>,
    timestamp_ms: i64,
    #[serde(borrow)]
    value: &'a RawValue,
}

fn row_value(text: &str, at: usize) -> Result<f64, SyntaxError> {
    let unquoted: Option<String> = if text.starts_with('"') {
        serde_json::from_str(text).ok()
    } else {
        Some(text.to_string())
    };
    unquoted.as_deref().and_then(parse_value).ok_or_else(|| {
        SyntaxError::new(
            at,
            format!("invalid value {text}: expected a number, \"NaN\", \"+Inf\", \"-Inf\" or \"stale\""),
        )
    })
}

/// Reads JSONL rows.
#[derive(Default)]
pub struct JsonLinesParser;

impl LineParser for JsonLinesParser {
    fn line(&mut self, line: &str, buf: &mut SeriesBuffer) -> Result<(), SyntaxError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let row: JsonRow = serde_json::from_str(line).map_err(|e| {
            SyntaxError::new(
                e.column().saturating_sub(1),
                format!("expected a row object {{\"metric\", \"labels\", \"timestamp_ms\", \"value\"}}: {e}"),
            )
        })?;
        if row.metric.is_empty() {
            return Err(SyntaxError::new(0, "the metric name must not be empty"));
        }
        if row.labels.contains_key(METRIC_NAME) {
            return Err(SyntaxError::new(
                0,
                "\"labels\" must not contain __name__; use \"metric\"",
            ));
        }
        let value = row_value(row.value.get(), line.find("\"value\"").unwrap_or(0))?;
        let labels = Labels::from_pairs(
            row.labels
                .iter()
                .map(|(k, v)| (k.as_ref(), v.as_ref()))
                .chain([(METRIC_NAME, row.metric.as_ref())]),
        );
        let series = buf.intern(None, labels);
        buf.push(series, row.timestamp_ms, value);
        Ok(())
    }
}

/// Reads CSV rows; the first line must be [`CSV_HEADER`].
#[derive(Default)]
pub struct CsvParser {
    saw_header: bool,
    key: String,
}

impl LineParser for CsvParser {
    fn line(&mut self, line: &str, buf: &mut SeriesBuffer) -> Result<(), SyntaxError> {
        if !self.saw_header {
            if line.trim_end() != CSV_HEADER {
                return Err(SyntaxError::new(
                    0,
                    format!("expected the header line {CSV_HEADER:?}"),
                ));
            }
            self.saw_header = true;
            return Ok(());
        }
        if line.is_empty() {
            return Ok(());
        }
        let fields = split_csv_record(line)?;
        let [
            (_, metric),
            (labels_at, labels_text),
            (ts_at, ts_text),
            (value_at, value_text),
        ] = &fields[..]
        else {
            return Err(SyntaxError::new(
                0,
                format!("expected 4 fields ({CSV_HEADER}), found {}", fields.len()),
            ));
        };
        self.key.clear();
        self.key.push_str(metric);
        self.key.push('\u{0}');
        self.key.push_str(labels_text);
        let series = match buf.lookup_text(&self.key) {
            Some(s) => s,
            None => {
                if metric.is_empty() {
                    return Err(SyntaxError::new(0, "the metric name must not be empty"));
                }
                let labels = if labels_text.is_empty() || labels_text == "{}" {
                    Labels::empty()
                } else {
                    parse_series(labels_text)
                        .map_err(|e| SyntaxError::new(labels_at + e.offset, e.message))?
                };
                if labels.get(METRIC_NAME).is_some() {
                    return Err(SyntaxError::new(
                        *labels_at,
                        "the labels column must not name the metric",
                    ));
                }
                buf.intern(Some(&self.key), labels.with(METRIC_NAME, metric))
            }
        };
        let timestamp: i64 = ts_text.parse().map_err(|_| {
            SyntaxError::new(
                *ts_at,
                format!("invalid timestamp {ts_text:?}: expected integer milliseconds"),
            )
        })?;
        let value = row_value(value_text, *value_at)?;
        buf.push(series, timestamp, value);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SyntaxError> {
        if !self.saw_header {
            return Err(SyntaxError::new(
                0,
                format!("expected the header line {CSV_HEADER:?}"),
            ));
        }
        Ok(())
    }
}

/// Splits one CSV line into unquoted fields with their byte offsets in the line.
fn split_csv_record(line: &str) -> Result<Vec<(usize, String)>, SyntaxError> {
    use csv_core::ReadRecordResult::*;
    let mut reader = csv_core::Reader::new();
    let mut out = vec![0u8; line.len() + 1];
    // One slot more than the four fields, so that a fifth field is noticed.
    let mut ends = [0usize; 5];
    let (mut result, _, mut written, mut fields) = reader.read_record(line.as_bytes(), &mut out, &mut ends);
    if result == InputEmpty {
        // The line has no terminator: an empty input ends the record.
        let (r, _, w, f) = reader.read_record(&[], &mut out[written..], &mut ends[fields..]);
        for end in &mut ends[fields..fields + f] {
            *end += written;
        }
        (result, written, fields) = (r, written + w, fields + f);
    }
    match result {
        Record | End => {}
        OutputEndsFull => {
            return Err(SyntaxError::new(
                0,
                format!("expected 4 fields ({CSV_HEADER}), found more"),
            ));
        }
        InputEmpty | OutputFull => return Err(SyntaxError::new(line.len(), "incomplete CSV record")),
    }
    let offsets = field_offsets(line);
    let mut start = 0;
    let mut out_fields = Vec::with_capacity(fields);
    for (n, &end) in ends[..fields].iter().enumerate() {
        let text = std::str::from_utf8(&out[start..end.min(written)])
            .map_err(|_| SyntaxError::new(0, "invalid UTF-8"))?;
        out_fields.push((offsets.get(n).copied().unwrap_or(0), text.to_string()));
        start = end;
    }
    Ok(out_fields)
}

/// Byte offsets where the fields of a CSV line start: after each comma outside quotes.
fn field_offsets(line: &str) -> Vec<usize> {
    let mut offsets = vec![0];
    let mut quoted = false;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => offsets.push(i + 1),
            _ => {}
        }
    }
    offsets
}

/// Which row format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFormat {
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header line.
    Csv,
}

/// Writes samples in a row format; the exact inverse of the row parsers.
pub struct RowWriter<W: Write> {
    format: RowFormat,
    out: W,
    line: String,
}

impl<W: Write> RowWriter<W> {
    /// A writer to `out`; for CSV the header is written at once.
    pub fn new(format: RowFormat, mut out: W) -> io::Result<RowWriter<W>> {
        if format == RowFormat::Csv {
            writeln!(out, "{CSV_HEADER}")?;
        }
        Ok(RowWriter {
            format,
            out,
            line: String::new(),
        })
    }

    /// Writes one sample of the series `labels`.
    pub fn write(&mut self, labels: &Labels, timestamp_ms: i64, value: f64) -> io::Result<()> {
        use std::fmt::Write as _;
        self.line.clear();
        let metric = labels.metric_name().unwrap_or("");
        let value_text = format_row_value(value);
        let numeric = value.is_finite();
        match self.format {
            RowFormat::JsonLines => {
                self.line.push_str("{\"metric\":");
                push_json_string(&mut self.line, metric);
                self.line.push_str(",\"labels\":{");
                let mut first = true;
                for l in labels.iter().filter(|l| l.name != METRIC_NAME) {
                    if !first {
                        self.line.push(',');
                    }
                    first = false;
                    push_json_string(&mut self.line, &l.name);
                    self.line.push(':');
                    push_json_string(&mut self.line, &l.value);
                }
                let _ = write!(self.line, "}},\"timestamp_ms\":{timestamp_ms},\"value\":");
                if numeric {
                    self.line.push_str(&value_text);
                } else {
                    push_json_string(&mut self.line, &value_text);
                }
                self.line.push('}');
            }
            RowFormat::Csv => {
                push_csv_field(&mut self.line, metric);
                self.line.push(',');
                let mut braces = String::new();
                let _ = write_label_braces(&mut braces, &labels.without(METRIC_NAME), false);
                push_csv_field(&mut self.line, &braces);
                let _ = write!(self.line, ",{timestamp_ms},{value_text}");
            }
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("strings always serialize"));
}

fn push_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::buffer::DuplicateCounts;
    use parquetry_model::value::stale_nan;

    fn round_trip(format: RowFormat) {
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a,\"b\""), ("x", "line\nbreak")]);
        let values = [
            1.0,
            -0.0,
            0.1,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            stale_nan(),
            1e300,
        ];
        let mut w = RowWriter::new(format, Vec::new()).unwrap();
        for (i, v) in values.iter().enumerate() {
            w.write(&labels, i as i64 * 15_000, *v).unwrap();
        }
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let mut buf = SeriesBuffer::default();
        let mut parser: Box<dyn LineParser> = match format {
            RowFormat::JsonLines => Box::new(JsonLinesParser),
            RowFormat::Csv => Box::new(CsvParser::default()),
        };
        for line in text.lines() {
            parser
                .line(line, &mut buf)
                .unwrap_or_else(|e| panic!("{line}: {e:?}"));
        }
        parser.finish().unwrap();
        let out = buf.take_sorted(&mut DuplicateCounts::default());
        assert_eq!(out.len(), 1);
        assert_eq!(*out[0].labels, labels);
        let bits: Vec<u64> = out[0].values.iter().map(|v| v.to_bits()).collect();
        let mut expected: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        expected[5] = parquetry_model::value::NORMAL_NAN_BITS;
        assert_eq!(bits, expected);
    }

    #[test]
    fn jsonl_round_trips_every_special_value() {
        round_trip(RowFormat::JsonLines);
    }

    #[test]
    fn csv_round_trips_every_special_value() {
        round_trip(RowFormat::Csv);
    }

    #[test]
    fn bad_rows_are_explained() {
        let mut buf = SeriesBuffer::default();
        let mut j = JsonLinesParser;
        let e = j
            .line(r#"{"metric":"up","timestamp_ms":"x","value":1}"#, &mut buf)
            .unwrap_err();
        assert!(e.message.contains("expected a row object"), "{e:?}");
        let e = j
            .line(r#"{"metric":"up","timestamp_ms":1,"value":"many"}"#, &mut buf)
            .unwrap_err();
        assert!(e.message.contains("invalid value"), "{e:?}");
        let mut c = CsvParser::default();
        assert!(c.line("a,b", &mut buf).unwrap_err().message.contains("header"));
        c.line(CSV_HEADER, &mut buf).unwrap();
        let e = c.line("up,{},12x,1", &mut buf).unwrap_err();
        assert_eq!(e.offset, 6);
        let e = c.line("up,\"{job=\"\"a}\",1,1", &mut buf).unwrap_err();
        assert!(e.message.contains("unterminated"), "{e:?}");
    }
}
