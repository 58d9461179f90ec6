//! Reading the promqltest script format into commands.

use parquetry_model::Labels;
use parquetry_model::time::parse_duration;
use parquetry_promql::series_notation::{Slot, expand, has_histograms, series_labels};

/// A series line: labels and a value sequence (or the raw text when it holds histograms).
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesLine {
    /// The series' labels.
    pub labels: Labels,
    /// The expanded float values; empty when the line holds native histograms.
    pub slots: Vec<Slot>,
    /// The line holds native histograms.
    pub histograms: bool,
}

/// What an `eval` expects.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expectation {
    /// The query must fail; with a message to match (`msg:` exact or `regex:`).
    pub fail: Option<Option<MessageMatch>>,
    /// Series must come in the listed order.
    pub ordered: bool,
    /// The instant query returns a range vector over `(from, to, step)` in ms.
    pub range_vector: Option<(i64, i64, i64)>,
    /// A string result.
    pub string: Option<String>,
    /// A scalar result.
    pub scalar: Option<f64>,
    /// Expected series.
    pub series: Vec<SeriesLine>,
}

/// How an expected error message is compared.
#[derive(Clone, Debug, PartialEq)]
pub enum MessageMatch {
    /// Exact text.
    Exact(String),
    /// An unanchored regular expression.
    Regex(String),
}

/// The times of an eval.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalTimes {
    /// `eval instant at T`.
    Instant(i64),
    /// `eval range from S to E step D`.
    Range {
        /// Start, ms.
        start: i64,
        /// End, ms.
        end: i64,
        /// Step, ms.
        step: i64,
    },
}

/// One `eval` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Eval {
    /// 1-based line of the header.
    pub line: usize,
    /// The query text.
    pub query: String,
    /// When it runs.
    pub times: EvalTimes,
    /// What it must give.
    pub expect: Expectation,
}

/// One command of a script.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `load` / `load_with_nhcb`.
    Load {
        /// Gap between values, ms.
        interval_ms: i64,
        /// The series.
        series: Vec<SeriesLine>,
        /// `load_with_nhcb`: native histograms are derived from the classic buckets.
        with_nhcb: bool,
        /// The block has start-timestamp (`@st`) lines.
        start_timestamps: bool,
    },
    /// `clear`.
    Clear,
    /// `eval …`.
    Eval(Eval),
}

fn err(line: usize, msg: impl Into<String>) -> String {
    format!("line {line}: {}", msg.into())
}

fn time(s: &str, line: usize) -> Result<i64, String> {
    parse_duration(s).map_err(|e| err(line, e.to_string()))
}

/// Splits `labels values…` at the first blank outside braces and quotes.
fn split_series(text: &str) -> (&str, &str) {
    let mut depth = 0;
    let mut quoted = false;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth -= 1,
            c if c.is_whitespace() && !quoted && depth == 0 => return (&text[..i], text[i..].trim()),
            _ => {}
        }
        prev = c;
    }
    (text, "")
}

/// Parses a series line (`name{a="b"} 1 2 3`).
pub fn series_line(text: &str, line: usize) -> Result<SeriesLine, String> {
    let (labels_text, values) = split_series(text);
    let labels = series_labels(labels_text).map_err(|e| err(line, e.0))?;
    if has_histograms(values) {
        return Ok(SeriesLine {
            labels,
            slots: Vec::new(),
            histograms: true,
        });
    }
    Ok(SeriesLine {
        labels,
        slots: expand(values).map_err(|e| err(line, e.0))?,
        histograms: false,
    })
}

fn message(rest: &str) -> Option<MessageMatch> {
    let rest = rest.trim();
    if let Some(m) = rest.strip_prefix("msg:") {
        Some(MessageMatch::Exact(m.trim().to_string()))
    } else {
        rest.strip_prefix("regex:")
            .map(|r| MessageMatch::Regex(r.trim().to_string()))
    }
}

/// Parses a whole script.
pub fn parse(text: &str) -> Result<Vec<Command>, String> {
    let lines: Vec<&str> = text.split('\n').map(str::trim).collect();
    let blank = |l: &str| l.is_empty() || l.starts_with('#');
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let n = i + 1;
        i += 1;
        if blank(line) {
            continue;
        }
        let word = line.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        if word == "clear" {
            out.push(Command::Clear);
        } else if word.starts_with("load") {
            let interval = line
                .split_whitespace()
                .nth(1)
                .ok_or_else(|| err(n, "load needs an interval"))?;
            let interval_ms = time(interval, n)?;
            let mut series = Vec::new();
            let mut start_timestamps = false;
            while i < lines.len() && !blank(lines[i]) {
                let (labels_text, _) = split_series(lines[i]);
                if labels_text.ends_with("@st") {
                    start_timestamps = true;
                } else {
                    series.push(series_line(lines[i], i + 1)?);
                }
                i += 1;
            }
            out.push(Command::Load {
                interval_ms,
                series,
                with_nhcb: word == "load_with_nhcb",
                start_timestamps,
            });
        } else if word.starts_with("eval") {
            let (eval, next) = parse_eval(&lines, n - 1)?;
            i = next;
            out.push(Command::Eval(eval));
        } else {
            return Err(err(n, format!("unknown command {word:?}")));
        }
    }
    Ok(out)
}

fn parse_eval(lines: &[&str], at: usize) -> Result<(Eval, usize), String> {
    let n = at + 1;
    let header = lines[at];
    let query = crate::promqltest_queries::eval_query(header)
        .ok_or_else(|| err(n, "invalid eval header"))?
        .to_string();
    let words: Vec<&str> = header.split_whitespace().collect();
    let kind = words[0];
    let times = if words[1] == "instant" {
        EvalTimes::Instant(time(words[3], n)?)
    } else {
        EvalTimes::Range {
            start: time(words[3], n)?,
            end: time(words[5], n)?,
            step: time(words[7], n)?,
        }
    };
    let mut expect = Expectation::default();
    match kind {
        "eval_fail" => expect.fail = Some(None),
        "eval_ordered" => expect.ordered = true,
        _ => {}
    }
    let mut i = at + 1;
    while i < lines.len() && !lines[i].is_empty() && !lines[i].starts_with('#') {
        let line = lines[i];
        i += 1;
        if let Some(rest) = line.strip_prefix("expected_fail_message") {
            expect.fail = Some(Some(MessageMatch::Exact(rest.trim().to_string())));
            break;
        }
        if let Some(rest) = line.strip_prefix("expected_fail_regexp") {
            expect.fail = Some(Some(MessageMatch::Regex(rest.trim().to_string())));
            break;
        }
        if let Some(rest) = line.strip_prefix("expect range vector") {
            let w: Vec<&str> = rest.split_whitespace().collect();
            if w.len() < 6 {
                return Err(err(i, "expect range vector from T to T step D"));
            }
            expect.range_vector = Some((time(w[1], i)?, time(w[3], i)?, time(w[5], i)?));
            continue;
        }
        if let Some(rest) = line.strip_prefix("expect string") {
            let rest = rest.trim();
            let value = if let Some(raw) = rest.strip_prefix('`') {
                raw.trim_end_matches('`').to_string()
            } else {
                parquetry_promql::syntax::lex::string_literal(rest)
                    .map(|(_, s)| s)
                    .map_err(|_| err(i, "invalid expected string"))?
            };
            expect.string = Some(value);
            continue;
        }
        if let Some(rest) = line.strip_prefix("expect ") {
            let mut w = rest.splitn(2, ' ');
            let what = w.next().unwrap_or("");
            let tail = w.next().unwrap_or("");
            match what {
                "fail" => expect.fail = Some(message(tail)),
                "ordered" => expect.ordered = true,
                // Annotations are not produced yet; their expectations are not checked.
                "warn" | "info" | "no_warn" | "no_info" => {}
                other => return Err(err(i, format!("unknown expectation {other:?}"))),
            }
            continue;
        }
        if let Some(v) = scalar(line) {
            expect.scalar = Some(v);
            break;
        }
        expect.series.push(series_line(line, i)?);
    }
    Ok((
        Eval {
            line: n,
            query,
            times,
            expect,
        },
        i,
    ))
}

/// A bare number line (Go's number syntax, incl. `Inf`, `NaN`).
fn scalar(line: &str) -> Option<f64> {
    if line.contains(char::is_whitespace) || line.contains('{') {
        return None;
    }
    let lower = line.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" => Some(if lower.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" => Some(f64::NAN),
        _ => {
            if let Some(hex) = lower.strip_prefix("0x") {
                return i64::from_str_radix(hex, 16).ok().map(|v| v as f64);
            }
            line.parse::<f64>().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_expectations() {
        let text = "load 1m\n  up{job=\"a\"} 1 2\n  h {{schema:0}}\n\neval instant at 1m up\n  expect fail msg: boom\n\neval range from 0 to 1m step 1m up\n  {job=\"a\"} 1 2\n\neval instant at 0 1\n  1\nclear\n";
        let cmds = parse(text).unwrap();
        assert_eq!(cmds.len(), 5);
        let Command::Load { series, .. } = &cmds[0] else {
            panic!()
        };
        assert!(series[1].histograms);
        let Command::Eval(e) = &cmds[1] else { panic!() };
        assert_eq!(e.expect.fail, Some(Some(MessageMatch::Exact("boom".into()))));
        let Command::Eval(e) = &cmds[2] else { panic!() };
        assert_eq!(
            e.times,
            EvalTimes::Range {
                start: 0,
                end: 60_000,
                step: 60_000
            }
        );
        assert_eq!(e.expect.series[0].slots.len(), 2);
        let Command::Eval(e) = &cmds[3] else { panic!() };
        assert_eq!(e.expect.scalar, Some(1.0));
        assert_eq!(cmds[4], Command::Clear);
    }
}
