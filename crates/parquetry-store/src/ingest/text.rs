//! The OpenMetrics and Prometheus text exposition formats, one line at a time.

use super::LineParser;
use super::buffer::SeriesBuffer;
use super::series_text::{SyntaxError, parse_series, series_len};
use parquetry_model::value::{STALE_WORD, parse_value};
use parquetry_model::{MetricMetadata, MetricType};
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
const CREATED_FAMILIES: [MetricType; 4] = [
    MetricType::Counter,
    MetricType::Histogram,
    MetricType::Summary,
    MetricType::GaugeHistogram,
];

/// Parses lines of a text exposition file into a [`SeriesBuffer`], and keeps what its
/// `# TYPE`, `# HELP` and `# UNIT` lines declare.
pub struct TextParser {
    dialect: Dialect,
    saw_eof: bool,
    families: Vec<MetricMetadata>,
    family_index: FxHashMap<String, usize>,
    created_skipped: u64,
}

impl TextParser {
    /// A parser for `dialect`.
    pub fn new(dialect: Dialect) -> TextParser {
        TextParser {
            dialect,
            saw_eof: false,
            families: Vec::new(),
            family_index: FxHashMap::default(),
            created_skipped: 0,
        }
    }

    /// The declaration of the family `name`, created when this is its first line.
    fn family(&mut self, name: &str) -> &mut MetricMetadata {
        let next = self.families.len();
        let at = *self.family_index.entry(name.to_string()).or_insert(next);
        if at == next {
            self.families.push(MetricMetadata {
                metric: name.to_string(),
                ..MetricMetadata::default()
            });
        }
        &mut self.families[at]
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
                let Some(parsed) = MetricType::from_name(kind) else {
                    let names: Vec<&str> = MetricType::ALL.iter().map(|t| t.as_str()).collect();
                    return Err(SyntaxError::new(
                        line.len() - kind.len(),
                        format!(
                            "unknown metric type {kind:?}: expected one of {}, untyped",
                            names.join(", ")
                        ),
                    ));
                };
                self.family(name).kind = parsed;
                Ok(())
            }
            "HELP" | "UNIT" => {
                let Some(name) = words.next().filter(|n| !n.is_empty()) else {
                    return Err(SyntaxError::new(
                        line.len(),
                        format!("expected a metric name after # {keyword}"),
                    ));
                };
                let text = words.next().unwrap_or("");
                if keyword == "UNIT" {
                    self.family(name).unit = text.trim().to_string();
                } else {
                    let help = unescape_help(text, self.dialect);
                    self.family(name).help = help;
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
            .and_then(|family| self.family_index.get(family))
            .is_some_and(|&at| CREATED_FAMILIES.contains(&self.families[at].kind))
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

    fn metadata(&mut self) -> Vec<MetricMetadata> {
        std::mem::take(&mut self.families)
    }
}

/// A `# HELP` text with its escapes resolved: `\\` and `\n` in both formats, `\"` in
/// OpenMetrics; any other backslash stays as written.
fn unescape_help(text: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if dialect == Dialect::OpenMetrics => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
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
    fn type_help_and_unit_lines_declare_families() {
        let text = "# TYPE req counter\n# HELP req Requests \\\"served\\\" \\\\ \\n.\n# UNIT req requests\n\
            # HELP up\n# TYPE up untyped\nreq_total 1 1\n# EOF\n";
        let mut p = TextParser::new(Dialect::OpenMetrics);
        let mut buf = SeriesBuffer::default();
        for line in text.lines() {
            p.line(line, &mut buf).unwrap();
        }
        let declared = p.metadata();
        let req = MetricMetadata {
            metric: "req".into(),
            kind: MetricType::Counter,
            help: "Requests \"served\" \\ \n.".into(),
            unit: "requests".into(),
        };
        let up = MetricMetadata {
            metric: "up".into(),
            ..MetricMetadata::default()
        };
        assert_eq!(declared, vec![req, up]);
        // The Prometheus text format escapes no quotes in help texts.
        let mut p = TextParser::new(Dialect::Prometheus);
        p.line("# HELP x a \\\"b\\\"", &mut buf).unwrap();
        assert_eq!(p.metadata()[0].help, "a \\\"b\\\"");
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
