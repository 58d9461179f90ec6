//! One entry point for any LogQL query: a log query returns streams, a metric query a
//! scalar, a vector or a matrix; either comes back with what the query read.

use super::log_query::{Direction, LogParams, LogStream, evaluate_logs};
use super::metric::{MetricResult, evaluate};
use super::source::{CountingSource, EntrySource};
use super::{EvalError, Grid};
use crate::syntax::ast::Expr;
use parquetry_model::Cancel;
use std::time::{Duration, Instant};

/// How far back an instant log query at T reads: `[T − 30 s, T)`, Loki's
/// `max_look_back_period`.
pub const INSTANT_LOG_LOOKBACK_NS: i64 = 30_000_000_000;

/// When and how a query is evaluated.
#[derive(Clone, Debug)]
pub struct QueryParams {
    /// Evaluation times of a metric query (`start == end` for an instant query); a log
    /// query reads `[start, end)`.
    pub grid: Grid,
    /// True for an instant query at `grid.start`.
    pub instant: bool,
    /// Most lines a log query returns.
    pub limit: usize,
    /// Which lines a log query keeps and their order.
    pub direction: Direction,
    /// A log query's minimum distance between lines returned, in nanoseconds (0: none).
    pub interval: i64,
    /// A log query's lines grouped by stream labels, each with its own labels apart
    /// (Loki's `categorize-labels` encoding).
    pub categorize: bool,
    /// Stops the query when cancelled: reads of entries not begun yet fail instead.
    pub cancel: Cancel,
}

/// Loki's default step of a range query over `[start, end]` (nanoseconds): a 250th of
/// the range in whole seconds, at least one second.
pub fn default_step(start: i64, end: i64) -> i64 {
    const NANOS_PER_SECOND: i64 = 1_000_000_000;
    ((end - start) / 250 / NANOS_PER_SECOND).max(1) * NANOS_PER_SECOND
}

impl QueryParams {
    /// An instant query at `t` (nanoseconds), with Loki's log query defaults.
    pub fn instant(t: i64) -> QueryParams {
        QueryParams {
            grid: Grid::instant(t),
            instant: true,
            limit: super::log_query::DEFAULT_LIMIT,
            direction: Direction::Backward,
            interval: 0,
            categorize: false,
            cancel: Cancel::default(),
        }
    }

    /// A range query over `grid`, with Loki's log query defaults.
    pub fn range(grid: Grid) -> QueryParams {
        QueryParams {
            grid,
            instant: false,
            ..QueryParams::instant(grid.start)
        }
    }

    /// The log query these parameters make.
    fn log_params(&self) -> LogParams {
        let (start, end) = if self.instant {
            (self.grid.start - INSTANT_LOG_LOOKBACK_NS, self.grid.start)
        } else {
            (self.grid.start, self.grid.end)
        };
        LogParams {
            start,
            end,
            limit: self.limit,
            direction: self.direction,
            interval: self.interval,
            categorize: self.categorize,
        }
    }
}

/// What a query gives.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryOutput {
    /// A log query's streams.
    Streams(Vec<LogStream>),
    /// A metric query's numbers.
    Metric(MetricResult),
}

/// What answering a query took.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueryStats {
    /// Entries read from the source (before the pipelines).
    pub lines_processed: u64,
    /// Bytes of those entries' lines.
    pub bytes_processed: u64,
    /// Lines a log query returned.
    pub entries_returned: u64,
    /// Wall time of the evaluation.
    pub exec_time: Duration,
}

/// A query's result and statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The result.
    pub output: QueryOutput,
    /// Whether it was an instant query (a metric result is then a vector or a scalar).
    pub instant: bool,
    /// The evaluation time of an instant query, nanoseconds.
    pub time: i64,
    /// A log query's streams hold stream labels only, each line its own labels apart
    /// ([`QueryParams::categorize`]).
    pub categorized: bool,
    /// What it took.
    pub stats: QueryStats,
}

/// Evaluates `expr` over `source`.
pub fn run_query(expr: &Expr, source: &dyn EntrySource, params: &QueryParams) -> Result<Answer, EvalError> {
    let began = Instant::now();
    let counting = CountingSource::new(source).until(&params.cancel);
    let output = match expr {
        Expr::Log(log) => QueryOutput::Streams(evaluate_logs(log, &counting, &params.log_params())?),
        _ => QueryOutput::Metric(evaluate(expr, &counting, params.grid, params.instant)?),
    };
    let entries_returned = match &output {
        QueryOutput::Streams(streams) => streams.iter().map(|s| s.entries.len() as u64).sum(),
        QueryOutput::Metric(_) => 0,
    };
    Ok(Answer {
        output,
        instant: params.instant,
        time: params.grid.start,
        categorized: params.categorize && matches!(expr, Expr::Log(_)),
        stats: QueryStats {
            lines_processed: counting.lines(),
            bytes_processed: counting.bytes(),
            entries_returned,
            exec_time: began.elapsed(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::source::MemorySource;
    use crate::parse;

    #[test]
    fn the_default_step_is_lokis() {
        let second = 1_000_000_000;
        assert_eq!(default_step(0, 3_600 * second), 14 * second);
        assert_eq!(default_step(0, 60 * second), second);
    }
    use parquetry_logs::{LogEntry, StreamEntries};
    use parquetry_model::Labels;

    fn source() -> MemorySource {
        let mut s = StreamEntries::new(Labels::from_pairs([("app", "a")]));
        s.entries = (0..10)
            .map(|i| LogEntry::new(i * 10_000_000_000, format!("line {i}")))
            .collect();
        MemorySource { streams: vec![s] }
    }

    #[test]
    fn an_instant_log_query_reads_the_thirty_seconds_before_its_time() {
        let expr = parse(r#"{app="a"}"#).unwrap();
        let answer = run_query(&expr, &source(), &QueryParams::instant(50_000_000_000)).unwrap();
        let QueryOutput::Streams(streams) = &answer.output else {
            panic!("{answer:?}")
        };
        let times: Vec<i64> = streams[0].entries.iter().map(|e| e.0 / 1_000_000_000).collect();
        assert_eq!(times, [40, 30, 20]);
        assert_eq!(answer.stats.lines_processed, 3);
        assert_eq!(answer.stats.entries_returned, 3);
    }

    #[test]
    fn metric_queries_count_what_they_read() {
        let expr = parse(r#"count_over_time({app="a"}[1m])"#).unwrap();
        let answer = run_query(&expr, &source(), &QueryParams::instant(90_000_000_000)).unwrap();
        assert_eq!(answer.stats.lines_processed, 6);
        assert_eq!(answer.stats.bytes_processed, 36);
        let QueryOutput::Metric(MetricResult::Vector(series)) = answer.output else {
            panic!()
        };
        assert_eq!(series[0].points, [(90_000_000_000, 6.0)]);
    }

    #[test]
    fn a_cancelled_query_reads_nothing_more_and_fails() {
        let cancel = Cancel::new();
        let params = QueryParams {
            cancel: cancel.clone(),
            ..QueryParams::instant(90_000_000_000)
        };
        cancel.cancel();
        for query in [r#"{app="a"}"#, r#"count_over_time({app="a"}[1m])"#] {
            let error = run_query(&parse(query).unwrap(), &source(), &params).unwrap_err();
            assert!(error.to_string().contains("cancelled"), "{query}: {error}");
        }
    }
}
