//! The OpenMetrics and Prometheus text exposition formats, one line at a time.

use super::LineParser;
use super::buffer::SeriesBuffer;
use super::series_text::{SyntaxError, parse_series, series_len};
use parquetry_model::value::{STALE_WORD, parse_value};
use rustc_hash::FxHashMap;

/// Which of the two text formats a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenMetrics 1.0: timestamps in seconds (fractions allowed), `# EOF` required last.
    OpenMetrics,
    /// Prometheus text format 0.0.4: timestamps in integer milliseconds, free comments.
    Prometheus,
}

/// Metric families whose `_created` series carry creation times, not samples.
const CREATED_FAMILIES: [&str; 4] = ["counter", "histogram", "summary", "gaugehistogram"];

const KNOWN_TYPES: [&str; 9] = [
    "counter",
    "gauge",
    "histogram",
    "gaugehistogram",
    "summary",
    "info",
    "stateset",
    "unknown",
    "untyped",
];

/// Parses lines of a text exposition file into a [`SeriesBuffer`].
pub struct TextParser {
    dialect: Dialect,
    saw_eof: bool,
    types: FxHashMap<String, String>,
    created_skipped: u64,
}

impl TextParser {
    /// A parser for `dialect`.
    pub fn new(dialect: Dialect) -> TextParser {
        TextParser {
            dialect,
            saw_eof: false,
            types: FxHashMap::default(),
            created_skipped: 0,
        }
    }

    fn comment(&mut self, line: &str) -> Result<(), SyntaxError> {
        let mut words = line[1..].trim_start().splitn(3, ' ');
        let keyword = words.next().unwrap_or("");
        match keyword {
            "EOF" if line == "# EOF" => {
                self.saw_eof = true;
                Ok(())
            }
            "TYPE" => {
                let (Some(name), Some(kind)) = (words.next(), words.next()) else {
                    return Err(SyntaxError::new(
                        line.len(),
                        "expected '# TYPE <metric name> <type>'",
                    ));
                };
                let kind = kind.trim();
                if !KNOWN_TYPES.contains(&kind) {
                    return Err(SyntaxError::new(
                        line.len() - kind.len(),
                        format!(
                            "unknown metric type {kind:?}: expected one of {}",
                            KNOWN_TYPES.join(", ")
                        ),
                    ));
                }
                self.types.insert(name.to_string(), kind.to_string());
                Ok(())
            }
            "HELP" | "UNIT" => {
                if words.next().is_none_or(str::is_empty) {
                    return Err(SyntaxError::new(
                        line.len(),
                        format!("expected a metric name after # {keyword}"),
                    ));
                }
                Ok(())
            }
            _ if self.dialect == Dialect::Prometheus => Ok(()),
            _ => Err(SyntaxError::new(
                0,
                "expected '# HELP', '# TYPE', '# UNIT' or '# EOF': OpenMetrics has no free comments",
            )),
        }
    }

    /// True when `labels`' metric is the `_created` series of a family that has one.
    fn is_created_series(&self, name: &str) -> bool {
        name.strip_suffix("_created")
            .and_then(|family| self.types.get(family))
            .is_some_and(|t| CREATED_FAMILIES.contains(&t.as_str()))
    }

    fn timestamp(&self, token: &str, at: usize) -> Result<i64, SyntaxError> {
        let bad = |what: &str| SyntaxError::new(at, format!("invalid timestamp {token:?}: {what}"));
        match self.dialect {
            Dialect::OpenMetrics => {
                let secs: f64 = token
                    .parse()
                    .map_err(|_| bad("expected Unix seconds such as 1700000000 or 1700000000.25"))?;
                if !secs.is_finite() {
                    return Err(bad("expected a finite number of seconds"));
                }
                // Prometheus converts exactly so, truncating toward zero.
                Ok((secs * 1000.0) as i64)
            }
            Dialect::Prometheus => token
                .parse()
                .map_err(|_| bad("expected integer milliseconds since the epoch")),
        }
    }
}

impl LineParser for TextParser {
    fn line(&mut self, line: &str, buf: &mut SeriesBuffer) -> Result<(), SyntaxError> {
        if self.saw_eof {
            return Err(SyntaxError::new(0, "unexpected content after '# EOF'"));
        }
        if line.is_empty() {
            return Ok(());
        }
        if line.starts_with('#') {
            return self.comment(line);
        }
        // When the series does not end where it should, the full parser explains why.
        let len = series_len(line).map_err(|e| parse_series(line).err().unwrap_or(e))?;
        let text = &line[..len];
        let series = match buf.lookup_text(text) {
            Some(s) => Some(s),
            None => {
                let labels = parse_series(text)?;
                if labels.metric_name().is_some_and(|n| self.is_created_series(n)) {
                    None
                } else {
                    Some(buf.intern(Some(text), labels))
                }
            }
        };
        let mut fields = Fields { line, at: len };
        let (value_at, value_token) = fields
            .next()
            .ok_or_else(|| SyntaxError::new(line.len(), "expected a value after the series"))?;
        let value = parse_value(value_token)
            .filter(|_| value_token != STALE_WORD)
            .ok_or_else(|| {
                SyntaxError::new(
                    value_at,
                    format!("invalid value {value_token:?}: expected a number, NaN, +Inf or -Inf"),
                )
            })?;
        let timestamp = match fields.next() {
            Some((_, "#")) | None => {
                return Err(SyntaxError::new(
                    line.len(),
                    "expected a timestamp after the value: archived samples need explicit timestamps",
                ));
            }
            Some((at, token)) => self.timestamp(token, at)?,
        };
        match fields.next() {
            None => {}
            // An exemplar follows; it is not stored.
            Some((_, "#")) => {}
            Some((at, _)) => {
                return Err(SyntaxError::new(
                    at,
                    "expected the end of the line or an exemplar after the timestamp",
                ));
            }
        }
        match series {
            Some(s) => buf.push(s, timestamp, value),
            None => self.created_skipped += 1,
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SyntaxError> {
        if self.dialect == Dialect::OpenMetrics && !self.saw_eof {
            return Err(SyntaxError::new(
                0,
                "expected '# EOF' as the last line: the file is truncated or not OpenMetrics (use --format prometheus for the Prometheus text format)",
            ));
        }
        Ok(())
    }

    fn skipped_samples(&self) -> u64 {
        self.created_skipped
    }
}

/// Blank-separated fields of a line after the series, with their byte offsets.
struct Fields<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (usize, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.line.as_bytes();
        while self.at < b.len() && (b[self.at] == b' ' || b[self.at] == b'\t') {
            self.at += 1;
        }
        if self.at >= b.len() {
            return None;
        }
        let start = self.at;
        while self.at < b.len() && b[self.at] != b' ' && b[self.at] != b'\t' {
            self.at += 1;
        }
        Some((start, &self.line[start..self.at]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::buffer::DuplicateCounts;

    /// A parsed series: its labels as text, times and values.
    type Parsed = (String, Vec<i64>, Vec<f64>);

    fn parse(dialect: Dialect, text: &str) -> Result<Vec<Parsed>, (usize, SyntaxError)> {
        let mut p = TextParser::new(dialect);
        let mut buf = SeriesBuffer::default();
        for (n, line) in text.lines().enumerate() {
            p.line(line, &mut buf).map_err(|e| (n + 1, e))?;
        }
        p.finish().map_err(|e| (0, e))?;
        let out = buf.take_sorted(&mut DuplicateCounts::default());
        Ok(out
            .into_iter()
            .map(|s| (s.labels.to_string(), s.timestamps, s.values))
            .collect())
    }

    #[test]
    fn openmetrics_with_families_exemplars_and_created() {
        let text = "# TYPE req counter\n# HELP req Requests.\n# UNIT req requests\n\
            req_total{code=\"200\"} 5 1700000000.5 # {trace_id=\"x\"} 1 1700000000\n\
            req_created{code=\"200\"} 1600000000 1700000000\n\
            req_total{code=\"200\"} 7 1700000015\n# EOF\n";
        let got = parse(Dialect::OpenMetrics, text).unwrap();
        assert_eq!(
            got,
            vec![(
                r#"req_total{code="200"}"#.to_string(),
                vec![1_700_000_000_500, 1_700_000_015_000],
                vec![5.0, 7.0]
            )]
        );
    }

    #[test]
    fn prometheus_text_uses_milliseconds() {
        let got = parse(
            Dialect::Prometheus,
            "# a free comment\nup{job=\"a\"} 1 1000\nup{job=\"a\"} NaN 2000\n",
        )
        .unwrap();
        assert_eq!(got[0].1, vec![1000, 2000]);
        assert!(got[0].2[1].is_nan());
    }

    #[test]
    fn malformed_lines_name_line_column_and_expectation() {
        let cases = [
            ("up{job=\"a\" 1 1\n# EOF", 1, "expected ',' or '}'"),
            ("up{job=\"a\"} abc 1\n# EOF", 1, "invalid value \"abc\""),
            ("up 1 yesterday\n# EOF", 1, "invalid timestamp \"yesterday\""),
            ("up 1\n# EOF", 1, "expected a timestamp"),
            ("up 1 1\n", 0, "expected '# EOF'"),
            ("up 1 1\n# EOF\nup 2 2", 3, "after '# EOF'"),
            ("# TYPE up banana\n# EOF", 1, "unknown metric type"),
            ("up{job=\"a\"} 1 1 2\n# EOF", 1, "expected the end of the line"),
            ("# random\n# EOF", 1, "OpenMetrics has no free comments"),
            ("up stale 1\n# EOF", 1, "invalid value"),
        ];
        for (text, line, msg) in cases {
            let (got_line, e) = parse(Dialect::OpenMetrics, text).unwrap_err();
            assert_eq!(got_line, line, "{text:?}: {e:?}");
            assert!(e.message.contains(msg), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn openmetrics_timestamps_truncate_like_prometheus() {
        let p = TextParser::new(Dialect::OpenMetrics);
        // 1.001 s is 1000.9999… ms as a float; Prometheus stores 1000.
        assert_eq!(p.timestamp("1.001", 0).unwrap(), 1000);
        assert_eq!(p.timestamp("1700000000.123", 0).unwrap(), 1_700_000_000_123);
        assert_eq!(p.timestamp("15", 0).unwrap(), 15_000);
        assert!(p.timestamp("NaN", 0).is_err());
    }
}
