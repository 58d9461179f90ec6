//! Log queries: the lines of the selected streams in `[start, end)` through their
//! pipeline; the newest (backward) or oldest (forward) `limit` of them across all
//! streams, thinned by `interval`, and grouped into streams by their final labels.

use super::EvalError;
use super::labels::{EntryLabels, LabelSet};
use super::pipeline::{BuildError, Pipeline, StreamRun, required_substrings};
use super::source::{EntrySource, StreamRows};
use crate::syntax::ast::LogExpr;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The number of lines a log query returns unless told otherwise, as in Loki's API.
pub const DEFAULT_LIMIT: usize = 100;

/// Which end of the time range a log query returns first and keeps under its limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Oldest first.
    Forward,
    /// Newest first (Loki's default).
    #[default]
    Backward,
}

impl Direction {
    /// `forward` or `backward`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }

    /// True when `a` comes before `b` in this direction.
    fn before(self, a: i64, b: i64) -> bool {
        match self {
            Direction::Forward => a < b,
            Direction::Backward => a > b,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = String;

    /// `forward` or `backward`, in any case.
    fn from_str(s: &str) -> Result<Direction, String> {
        match s.to_ascii_lowercase().as_str() {
            "forward" => Ok(Direction::Forward),
            "backward" => Ok(Direction::Backward),
            _ => Err(format!("invalid direction {s:?}: expected forward or backward")),
        }
    }
}

/// What a log query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogParams {
    /// First nanosecond, inclusive.
    pub start: i64,
    /// Last nanosecond, exclusive.
    pub end: i64,
    /// Most lines returned, over all streams together.
    pub limit: usize,
    /// Which lines the limit keeps and the order of each stream's lines.
    pub direction: Direction,
    /// When positive, a line is returned only if it is at least this many nanoseconds
    /// after (forward) or before (backward) the previous line returned.
    pub interval: i64,
    /// Group lines by their stream labels only and give each line its structured
    /// metadata and parsed labels apart ([`LogStream::entry_labels`]), as Loki's
    /// `categorize-labels` encoding does.
    pub categorize: bool,
}

impl LogParams {
    /// `[start, end)` with Loki's defaults: the newest 100 lines, no interval.
    pub fn new(start: i64, end: i64) -> LogParams {
        LogParams {
            start,
            end,
            limit: DEFAULT_LIMIT,
            direction: Direction::Backward,
            interval: 0,
            categorize: false,
        }
    }
}

/// One stream of a log query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct LogStream {
    /// The lines' labels after the pipeline (stream labels, metadata, parsed labels, and
    /// `__error__` when a stage failed).
    pub labels: LabelSet,
    /// `(nanoseconds, line)` in the query's direction.
    pub entries: Vec<(i64, String)>,
    /// For a categorized query, each entry's own labels, in the order of `entries`;
    /// empty otherwise (`labels` then holds every label of the lines).
    pub entry_labels: Vec<EntryLabels>,
}

/// Every line of `streams` as `(time, index of its stream, line)`, in `direction` across
/// streams (newest first going backward); lines at the same time keep the order of their
/// streams. Displays and tables list a log query's answer this way, as `logcli` prints it.
pub fn merged_lines(streams: &[LogStream], direction: Direction) -> Vec<(i64, usize, &str)> {
    let mut lines: Vec<(i64, usize, &str)> = streams
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.entries.iter().map(move |(t, l)| (*t, i, l.as_str())))
        .collect();
    match direction {
        Direction::Forward => lines.sort_by_key(|l| l.0),
        Direction::Backward => lines.sort_by_key(|l| std::cmp::Reverse(l.0)),
    }
    lines
}

/// A line the pipeline kept, before the limit across streams.
struct Kept {
    timestamp: i64,
    line: String,
    labels: LabelSet,
    /// The line's own labels, for a categorized query.
    entry_labels: Option<EntryLabels>,
}

/// A day in nanoseconds: the store keeps each UTC day in files of its own, so reading a
/// day at a time reads each file once.
const DAY_NS: i64 = 86_400_000_000_000;

/// `[start, end)` cut at UTC midnights, in the order `direction` reads them.
fn days(start: i64, end: i64, direction: Direction) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let midnight = (from.div_euclid(DAY_NS) + 1).saturating_mul(DAY_NS);
        let to = midnight.min(end);
        out.push((from, to));
        from = to;
    }
    if direction == Direction::Backward {
        out.reverse();
    }
    out
}

/// The lines returned so far, grouped by their labels' text.
struct Collected<'p> {
    params: &'p LogParams,
    grouped: BTreeMap<String, LogStream>,
    returned: usize,
    last: Option<i64>,
}

impl Collected<'_> {
    fn full(&self) -> bool {
        self.returned >= self.params.limit
    }

    /// Takes lines that come after every line taken so far, in the query's direction.
    fn take(&mut self, mut lines: Vec<Kept>) {
        let params = self.params;
        // Stable: lines at the same time keep the order of their streams.
        match params.direction {
            Direction::Forward => lines.sort_by_key(|k| k.timestamp),
            Direction::Backward => lines.sort_by_key(|k| std::cmp::Reverse(k.timestamp)),
        }
        for k in lines {
            if self.full() {
                break;
            }
            if params.interval > 0
                && let Some(prev) = self.last
                && params.direction.before(k.timestamp, step_from(prev, params))
            {
                continue;
            }
            self.last = Some(k.timestamp);
            self.returned += 1;
            let stream = self
                .grouped
                .entry(k.labels.to_string())
                .or_insert_with(|| LogStream {
                    labels: k.labels,
                    entries: Vec::new(),
                    entry_labels: Vec::new(),
                });
            stream.entries.push((k.timestamp, k.line));
            stream.entry_labels.extend(k.entry_labels);
        }
    }
}

/// Evaluates the log query `expr`: the streams in the order of their labels' text, as
/// Loki sorts them. Days are read from the end the direction starts at, and reading
/// stops at the first day after which the limit is reached.
pub fn evaluate_logs(
    expr: &LogExpr,
    source: &dyn EntrySource,
    params: &LogParams,
) -> Result<Vec<LogStream>, EvalError> {
    if params.limit == 0 || params.start >= params.end {
        return Ok(Vec::new());
    }
    let pipeline = Pipeline::build(&expr.pipeline).map_err(|BuildError(e)| EvalError::Build(e))?;
    let needles = required_substrings(&expr.pipeline);
    let mut collected = Collected {
        params,
        grouped: BTreeMap::new(),
        returned: 0,
        last: None,
    };
    for (from, to) in days(params.start, params.end, params.direction) {
        let pieces = source
            .pieces(&expr.matchers, from, to, &needles)
            .map_err(EvalError::Storage)?;
        // Without an interval no stream can give more lines than are still wanted.
        let cap = if params.interval > 0 {
            usize::MAX
        } else {
            params.limit - collected.returned
        };
        // Each piece is read and run through the pipeline on its own; only the lines kept
        // are copied out of the store's columns.
        let per_piece: Vec<Vec<Kept>> = pieces
            .into_par_iter()
            .map(|piece| {
                let streams = piece().map_err(EvalError::Storage)?;
                Ok(streams
                    .iter()
                    .flat_map(|s| kept_lines(s, &pipeline, params, cap))
                    .collect())
            })
            .collect::<Result<_, EvalError>>()?;
        collected.take(per_piece.into_iter().flatten().collect());
        if collected.full() {
            break;
        }
    }
    Ok(collected.grouped.into_values().collect())
}

/// The earliest (forward) or latest (backward) time a line may have after one at `prev`.
fn step_from(prev: i64, params: &LogParams) -> i64 {
    match params.direction {
        Direction::Forward => prev.saturating_add(params.interval),
        Direction::Backward => prev.saturating_sub(params.interval),
    }
}

/// The first `cap` lines of `stream` in `direction` that the pipeline keeps.
fn kept_lines(stream: &StreamRows, pipeline: &Pipeline, params: &LogParams, cap: usize) -> Vec<Kept> {
    let mut run = StreamRun::new(pipeline, &stream.labels);
    let rows = stream.view();
    let order: Box<dyn Iterator<Item = usize>> = match params.direction {
        Direction::Forward => Box::new(0..rows.len()),
        Direction::Backward => Box::new((0..rows.len()).rev()),
    };
    let mut out = Vec::new();
    for row in order {
        if out.len() >= cap {
            break;
        }
        if run.run(&rows, row) {
            let (labels, entry_labels) = if params.categorize {
                let c = run.labels.finish_categorized();
                (c.stream, Some(c.entry))
            } else {
                (run.labels.finish(), None)
            };
            out.push(Kept {
                timestamp: rows.time(row),
                line: run.line.clone(),
                labels,
                entry_labels,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::source::MemorySource;
    use crate::syntax::parse_log;
    use parquetry_logs::LogEntry;
    use parquetry_logs::StreamEntries;
    use parquetry_model::Labels;

    fn source() -> MemorySource {
        let stream = |app: &str, lines: &[(i64, &str)]| {
            let mut s = StreamEntries::new(Labels::from_pairs([("app", app)]));
            s.entries = lines.iter().map(|(t, l)| LogEntry::new(*t, *l)).collect();
            s
        };
        MemorySource {
            streams: vec![
                stream(
                    "a",
                    &[
                        (10, "level=info n=1"),
                        (20, "level=error n=2"),
                        (40, "level=info n=3"),
                    ],
                ),
                stream(
                    "b",
                    &[(15, "level=error n=4"), (30, "level=info n=5"), (50, "oops")],
                ),
            ],
        }
    }

    fn run(query: &str, params: LogParams) -> Vec<(String, Vec<i64>)> {
        let expr = parse_log(query).unwrap();
        evaluate_logs(&expr, &source(), &params)
            .unwrap()
            .into_iter()
            .map(|s| (s.labels.to_string(), s.entries.iter().map(|e| e.0).collect()))
            .collect()
    }

    #[test]
    fn the_limit_counts_lines_over_all_streams_from_the_chosen_end() {
        let backward = LogParams {
            limit: 3,
            ..LogParams::new(0, 100)
        };
        assert_eq!(
            run(r#"{app=~"a|b"}"#, backward),
            [
                (r#"{app="a"}"#.to_string(), vec![40]),
                (r#"{app="b"}"#.to_string(), vec![50, 30]),
            ]
        );
        let forward = LogParams {
            direction: Direction::Forward,
            ..backward
        };
        assert_eq!(
            run(r#"{app=~"a|b"}"#, forward),
            [
                (r#"{app="a"}"#.to_string(), vec![10, 20]),
                (r#"{app="b"}"#.to_string(), vec![15]),
            ]
        );
    }

    #[test]
    fn start_is_inclusive_and_end_exclusive() {
        let got = run(r#"{app="a"}"#, LogParams::new(10, 40));
        assert_eq!(got, [(r#"{app="a"}"#.to_string(), vec![20, 10])]);
    }

    #[test]
    fn parsed_labels_split_streams_and_errors_show() {
        let got = run(r#"{app="b"} | logfmt --strict | drop n"#, LogParams::new(0, 100));
        let names: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.iter().any(|l| l.contains(r#"level="error""#)));
        let got = run(r#"{app="b"} | json"#, LogParams::new(0, 100));
        assert!(got.iter().all(|(l, _)| l.contains("JSONParserErr")), "{got:?}");
    }

    #[test]
    fn categorized_streams_keep_stream_labels_and_give_each_line_its_own() {
        let expr = parse_log(r#"{app="b"} | logfmt | drop n"#).unwrap();
        let params = LogParams {
            categorize: true,
            ..LogParams::new(0, 100)
        };
        let streams = evaluate_logs(&expr, &source(), &params).unwrap();
        let [stream] = streams.as_slice() else {
            panic!("one stream per stream label set: {streams:?}")
        };
        assert_eq!(stream.labels.to_string(), r#"{app="b"}"#);
        assert_eq!(stream.entry_labels.len(), stream.entries.len());
        let parsed: Vec<String> = stream.entry_labels.iter().map(|e| e.parsed.to_string()).collect();
        assert!(parsed.contains(&r#"{level="error"}"#.to_string()), "{parsed:?}");
        assert!(stream.entry_labels.iter().all(|e| e.metadata.0.is_empty()));
    }

    #[test]
    fn an_interval_thins_the_lines_across_streams() {
        let params = LogParams {
            direction: Direction::Forward,
            interval: 10,
            ..LogParams::new(0, 100)
        };
        let times: Vec<i64> = run(r#"{app=~"a|b"}"#, params)
            .into_iter()
            .flat_map(|(_, t)| t)
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(sorted, [10, 20, 30, 40, 50]);
    }

    #[test]
    fn days_are_read_from_the_end_the_direction_starts_at() {
        let d = DAY_NS;
        assert_eq!(
            days(d / 2, 2 * d + 5, Direction::Forward),
            [(d / 2, d), (d, 2 * d), (2 * d, 2 * d + 5)]
        );
        assert_eq!(days(-5, 5, Direction::Backward), [(0, 5), (-5, 0)]);
        assert!(days(5, 5, Direction::Forward).is_empty());
    }

    #[test]
    fn a_limit_reached_on_the_last_day_leaves_the_others_unread() {
        let mut s = StreamEntries::new(Labels::from_pairs([("app", "a")]));
        s.entries = (0..4)
            .map(|d| LogEntry::new(d * DAY_NS + 7, format!("day {d}")))
            .collect();
        let source = MemorySource { streams: vec![s] };
        let counting = crate::eval::source::CountingSource::new(&source);
        let expr = parse_log(r#"{app="a"}"#).unwrap();
        let params = LogParams {
            limit: 1,
            ..LogParams::new(0, 4 * DAY_NS)
        };
        let got = evaluate_logs(&expr, &counting, &params).unwrap();
        assert_eq!(got[0].entries, [(3 * DAY_NS + 7, "day 3".to_string())]);
        assert_eq!(counting.lines(), 1);
    }

    #[test]
    fn directions_parse_in_any_case() {
        assert_eq!("FORWARD".parse(), Ok(Direction::Forward));
        assert!("sideways".parse::<Direction>().is_err());
    }
}
