//! LogQL as SQL tables, over the session's logs table:
//!
//! * `logql_range(query, start, end, step)` and `logql_instant(query, time)`: a metric
//!   query's points, in the columns of `promql_range` (`timestamp`, `value`, `metric`,
//!   `labels`, one column per label);
//! * `logql_logs(query, start, end [, limit [, direction]])`: a log query's lines —
//!   `timestamp` (nanoseconds), `line`, `labels` (the final labels, parsed ones
//!   included) and one column per label — with Loki's defaults of the newest 100 lines.

use crate::promql_functions::{literal, result_table, step_arg, text, time_arg};
use crate::schema::{LabelsBuilder, labels_type, nanosecond_timestamp_type};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder, TimestampNanosecondBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::error::ArrowError;
use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;
use parquetry_logql::eval::log_query::merged_lines;
use parquetry_logql::{Direction, Expr as LogqlExpr, Grid, LogStream, QueryOutput, QueryParams, run_query};
use parquetry_logs::LogStore;
use std::collections::BTreeSet;
use std::sync::Arc;

const NANOS_PER_MS: i64 = 1_000_000;

/// Which table function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Range,
    Instant,
    Logs,
}

/// A LogQL table function over one logs table.
#[derive(Debug)]
pub struct LogqlFunction {
    logs: Arc<LogStore>,
    kind: Kind,
}

impl LogqlFunction {
    /// `logql_range(query, start, end, step)`.
    pub fn range(logs: Arc<LogStore>) -> LogqlFunction {
        LogqlFunction {
            logs,
            kind: Kind::Range,
        }
    }

    /// `logql_instant(query, time)`.
    pub fn instant(logs: Arc<LogStore>) -> LogqlFunction {
        LogqlFunction {
            logs,
            kind: Kind::Instant,
        }
    }

    /// `logql_logs(query, start, end [, limit [, direction]])`.
    pub fn logs(logs: Arc<LogStore>) -> LogqlFunction {
        LogqlFunction {
            logs,
            kind: Kind::Logs,
        }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Range => "logql_range",
            Kind::Instant => "logql_instant",
            Kind::Logs => "logql_logs",
        }
    }

    fn usage(&self) -> &'static str {
        match self.kind {
            Kind::Range => "logql_range(query, start, end, step)",
            Kind::Instant => "logql_instant(query, time)",
            Kind::Logs => "logql_logs(query, start, end [, limit [, direction]])",
        }
    }

    /// The query parameters the arguments after the query give.
    fn params(&self, args: &[Expr]) -> Result<QueryParams> {
        let name = self.name();
        let ns = |ms: i64| ms.saturating_mul(NANOS_PER_MS);
        Ok(match self.kind {
            Kind::Instant => QueryParams::instant(ns(time_arg(name, "time", &args[1])?)),
            Kind::Range | Kind::Logs => {
                let start = ns(time_arg(name, "start", &args[1])?);
                let end = ns(time_arg(name, "end", &args[2])?);
                if end < start {
                    return plan_err!("{name}: end is before start");
                }
                let step = match self.kind {
                    Kind::Range => ns(step_arg(name, &args[3])?),
                    _ => 1,
                };
                let mut params = QueryParams::range(Grid { start, end, step });
                if self.kind == Kind::Logs {
                    if let Some(limit) = args.get(3) {
                        params.limit = limit_arg(name, limit)?;
                    }
                    if let Some(direction) = args.get(4) {
                        params.direction = literal(direction)
                            .and_then(text)
                            .ok_or_else(|| {
                                DataFusionError::Plan(format!(
                                    "{name}: direction must be 'forward' or 'backward'"
                                ))
                            })?
                            .parse::<Direction>()
                            .map_err(|e| DataFusionError::Plan(format!("{name}: {e}")))?;
                    }
                }
                params
            }
        })
    }
}

/// A positive whole number of lines.
fn limit_arg(function: &str, e: &Expr) -> Result<usize> {
    match literal(e) {
        Some(ScalarValue::Int64(Some(n))) if *n > 0 => Ok(*n as usize),
        _ => plan_err!("{function}: limit must be a positive whole number, got {e}"),
    }
}

/// A log query's streams as a table: a row per line, in `direction` across streams.
pub fn streams_table(streams: &[LogStream], direction: Direction) -> Result<MemTable> {
    let batch = streams_batch(streams, direction)?;
    MemTable::try_new(batch.schema(), vec![vec![batch]])
}

/// A log query's streams as one record batch, a row per line in `direction` across
/// streams (newest first going backward): `timestamp` (nanoseconds, UTC), `line`,
/// `labels` (a map; labels whose value is empty left out) and a column per label name
/// (`timestamp`, `line` and `labels` only in the map).
pub fn streams_batch(streams: &[LogStream], direction: Direction) -> Result<RecordBatch, ArrowError> {
    let reserved = ["timestamp", "line", "labels"];
    let names: BTreeSet<&str> = streams
        .iter()
        .flat_map(|s| s.labels.0.iter().map(|(n, _)| n.as_str()))
        .filter(|n| !reserved.contains(n))
        .collect();
    let mut fields = vec![
        Field::new("timestamp", nanosecond_timestamp_type(), false),
        Field::new("line", DataType::Utf8, false),
        Field::new("labels", labels_type(), false),
    ];
    fields.extend(names.iter().map(|n| Field::new(*n, DataType::Utf8, true)));
    let schema = Arc::new(Schema::new(fields));
    let mut ts = TimestampNanosecondBuilder::new().with_timezone("UTC");
    let mut lines = StringBuilder::new();
    let mut labels = LabelsBuilder::new();
    let mut per_label: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    let model_labels: Vec<_> = streams.iter().map(|s| s.labels.to_labels()).collect();
    for (t, i, line) in merged_lines(streams, direction) {
        ts.append_value(t);
        lines.append_value(line);
        labels.append(&model_labels[i], 1);
        for (b, name) in per_label.iter_mut().zip(&names) {
            b.append_option(streams[i].labels.get(name));
        }
    }
    let mut columns: Vec<ArrayRef> = vec![Arc::new(ts.finish()), Arc::new(lines.finish()), labels.finish()?];
    columns.extend(per_label.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    RecordBatch::try_new(schema, columns)
}

impl TableFunctionImpl for LogqlFunction {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let name = self.name();
        let arity = match self.kind {
            Kind::Range => 4..=4,
            Kind::Instant => 2..=2,
            Kind::Logs => 3..=5,
        };
        if !arity.contains(&args.len()) {
            return plan_err!("{} does not take {} arguments", self.usage(), args.len());
        }
        let Some(query) = literal(&args[0]).and_then(text) else {
            return plan_err!("{name}: the first argument must be a LogQL query string");
        };
        let expr =
            parquetry_logql::parse(query).map_err(|e| DataFusionError::Plan(format!("{name}: {e}")))?;
        let is_log = matches!(expr, LogqlExpr::Log(_));
        if is_log != (self.kind == Kind::Logs) {
            return plan_err!(
                "{name}: {} is a {} query; use {}",
                query,
                if is_log { "log" } else { "metric" },
                if is_log {
                    "logql_logs"
                } else {
                    "logql_range or logql_instant"
                }
            );
        }
        let params = self.params(args)?;
        let answer = run_query(&expr, self.logs.as_ref(), &params)
            .map_err(|e| DataFusionError::Plan(format!("{name}: {e}")))?;
        Ok(match answer.output {
            QueryOutput::Streams(streams) => Arc::new(streams_table(&streams, params.direction)?),
            QueryOutput::Metric(m) => Arc::new(result_table(m.into_promql())?),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::SqlContext;
    use crate::test_support::logs_context;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Float64Type, Int64Type};
    use parquetry_logs::{LogEntry, StreamEntries};
    use parquetry_model::Labels;

    const T0: i64 = 1_767_323_040_000_000_000; // 2026-01-02T03:04:00Z

    fn context(dir: &std::path::Path) -> SqlContext {
        let stream = |app: &str| {
            let mut s = StreamEntries::new(Labels::from_pairs([("app", app)]));
            s.entries = (0..120)
                .map(|i| {
                    let level = if i % 4 == 0 { "error" } else { "info" };
                    LogEntry::new(T0 + i * 1_000_000_000, format!("level={level} n={i}"))
                })
                .collect();
            s
        };
        logs_context(dir, vec![stream("api"), stream("worker")])
    }

    #[test]
    fn metric_queries_become_points_that_join_with_sql() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let batches = ctx
            .sql(
                "SELECT app, sum(value) AS v FROM logql_range('sum by (app) (count_over_time({app=~\".+\"} | logfmt | level=\"error\" [1m]))', \
                 '2026-01-02T03:05:00Z', '2026-01-02T03:05:30Z', '30s') GROUP BY app ORDER BY app",
            )
            .unwrap();
        let b = &batches[0];
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(0).as_string::<i32>().value(0), "api");
        // Errors every 4 s: 15 in (03:04:00, 03:05:00], then 15 in (03:04:30, 03:05:30].
        assert_eq!(b.column(1).as_primitive::<Float64Type>().value(0), 30.0);
        let instant = ctx
            .sql("SELECT value FROM logql_instant('count_over_time({app=\"api\"}[10s])', '2026-01-02T03:05:00Z')")
            .unwrap();
        assert_eq!(instant[0].column(0).as_primitive::<Float64Type>().value(0), 10.0);
    }

    #[test]
    fn log_queries_become_lines_with_their_parsed_labels() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let count = |sql: &str| -> i64 {
            ctx.sql(sql).unwrap()[0]
                .column(0)
                .as_primitive::<Int64Type>()
                .value(0)
        };
        let q = "logql_logs('{app=\"api\"} | logfmt | level=\"error\"', '2026-01-02T03:04:00Z', '2026-01-02T03:06:00Z'";
        assert_eq!(count(&format!("SELECT count(*) FROM {q})")), 30);
        assert_eq!(
            count(&format!("SELECT count(*) FROM {q}, 5) WHERE level = 'error'")),
            5
        );
        let newest = ctx.sql(&format!("SELECT line FROM {q}, 1, 'forward')")).unwrap();
        assert_eq!(newest[0].column(0).as_string::<i32>().value(0), "level=error n=0");
        let err = ctx
            .sql("SELECT * FROM logql_range('{app=\"api\"}', '2026-01-02T03:04:00Z', '2026-01-02T03:06:00Z', '1m')")
            .unwrap_err();
        assert!(err.to_string().contains("use logql_logs"), "{err}");
        let err = ctx
            .sql("SELECT * FROM logql_instant('rate({app=\"api\"} |~ \"(\" [1m])', 0)")
            .unwrap_err();
        assert!(err.to_string().contains("logql_instant"), "{err}");
    }
}
