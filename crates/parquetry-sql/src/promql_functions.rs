//! `promql_range(expr, start, end, step)` and `promql_instant(expr, time)`: PromQL results
//! as SQL tables, with `timestamp`, `value`, `metric`, `labels` and one column per label.

use crate::schema::{LabelsBuilder, labels_type, timestamp_type};
use datafusion::arrow::array::{
    ArrayRef, Float64Builder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;
use parquetry_model::time::{parse_duration, parse_timestamp};
use parquetry_model::{Labels, METRIC_NAME};
use parquetry_promql::eval::{QueryResult, ResultSeries, StepGrid};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Evaluates PromQL: the expression, the grid, and whether it is an instant query.
pub type PromqlEval =
    Arc<dyn Fn(&str, StepGrid, bool) -> std::result::Result<QueryResult, String> + Send + Sync>;

/// Which of the two table functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Range,
    Instant,
}

/// A PromQL table function.
pub struct PromqlFunction {
    eval: PromqlEval,
    kind: Kind,
}

impl std::fmt::Debug for PromqlFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PromqlFunction({:?})", self.kind)
    }
}

impl PromqlFunction {
    /// `promql_range(expr, start, end, step)`.
    pub fn range(eval: PromqlEval) -> PromqlFunction {
        PromqlFunction {
            eval,
            kind: Kind::Range,
        }
    }

    /// `promql_instant(expr, time)`.
    pub fn instant(eval: PromqlEval) -> PromqlFunction {
        PromqlFunction {
            eval,
            kind: Kind::Instant,
        }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Range => "promql_range",
            Kind::Instant => "promql_instant",
        }
    }
}

/// The constant an argument is, through casts.
pub(crate) fn literal(e: &Expr) -> Option<&ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v),
        Expr::Cast(c) => literal(&c.expr),
        _ => None,
    }
}

/// The text of a string constant.
pub(crate) fn text(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Some(s)
        }
        _ => None,
    }
}

/// A time argument: a timestamp, an RFC 3339 string, or Unix seconds.
pub(crate) fn time_arg(function: &str, what: &str, e: &Expr) -> Result<i64> {
    let bad = || {
        DataFusionError::Plan(format!(
            "{function}: {what} must be a timestamp, an RFC 3339 string or Unix seconds, got {e}"
        ))
    };
    let v = literal(e).ok_or_else(bad)?;
    if let Some(s) = text(v) {
        return parse_timestamp(s).map_err(|err| DataFusionError::Plan(format!("{function}: {what}: {err}")));
    }
    match v {
        ScalarValue::Int64(Some(s)) => Ok(s * 1000),
        ScalarValue::Float64(Some(s)) => Ok((s * 1000.0).round() as i64),
        other => match other.cast_to(&DataType::Timestamp(TimeUnit::Millisecond, None)) {
            Ok(ScalarValue::TimestampMillisecond(Some(ms), _)) => Ok(ms),
            _ => Err(bad()),
        },
    }
}

/// A step argument: a duration string (`'1m'`), an interval, or seconds.
pub(crate) fn step_arg(function: &str, e: &Expr) -> Result<i64> {
    let bad = || {
        DataFusionError::Plan(format!(
            "{function}: step must be a duration like '1m', an interval or seconds, got {e}"
        ))
    };
    let v = literal(e).ok_or_else(bad)?;
    let ms = match v {
        v if text(v).is_some() => parse_duration(text(v).unwrap_or_default())
            .map_err(|err| DataFusionError::Plan(format!("{function}: step: {err}")))?,
        ScalarValue::Int64(Some(s)) => s * 1000,
        ScalarValue::Float64(Some(s)) => (s * 1000.0).round() as i64,
        ScalarValue::IntervalMonthDayNano(Some(i)) if i.months == 0 => {
            i.days as i64 * 86_400_000 + i.nanoseconds / 1_000_000
        }
        ScalarValue::IntervalDayTime(Some(i)) => i.days as i64 * 86_400_000 + i.milliseconds as i64,
        _ => return Err(bad()),
    };
    if ms <= 0 {
        return plan_err!("{function}: step must be positive");
    }
    Ok(ms)
}

/// The rows of a result: `(labels, points)` per series.
fn rows(result: QueryResult) -> Result<Vec<ResultSeries>> {
    match result {
        QueryResult::Vector(s) | QueryResult::Range(s) => Ok(s),
        QueryResult::Scalar(points) => Ok(vec![ResultSeries {
            labels: Labels::empty(),
            points,
        }]),
        QueryResult::String(_) => plan_err!("a PromQL string result cannot be a table"),
    }
}

/// The result as one record batch: fixed columns, then a column per label name.
pub fn result_table(result: QueryResult) -> Result<MemTable> {
    let series = rows(result)?;
    let reserved = ["timestamp", "value", "metric", "labels"];
    let names: BTreeSet<&str> = series
        .iter()
        .flat_map(|s| s.labels.iter().map(|l| l.name.as_str()))
        .filter(|n| *n != METRIC_NAME && !reserved.contains(n))
        .collect();
    let mut fields = vec![
        Field::new("timestamp", timestamp_type(), false),
        Field::new("value", DataType::Float64, false),
        Field::new("metric", DataType::Utf8, true),
        Field::new("labels", labels_type(), false),
    ];
    fields.extend(names.iter().map(|n| Field::new(*n, DataType::Utf8, true)));
    let schema = Arc::new(Schema::new(fields));
    let mut ts = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut values = Float64Builder::new();
    let mut metric = StringBuilder::new();
    let mut labels = LabelsBuilder::new();
    let mut per_label: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    for s in &series {
        let n = s.points.len();
        for (t, v) in &s.points {
            ts.append_value(*t);
            values.append_value(*v);
        }
        for _ in 0..n {
            metric.append_option(s.labels.metric_name());
        }
        labels.append(&s.labels, n);
        for (b, name) in per_label.iter_mut().zip(&names) {
            let v = s.labels.get(name);
            for _ in 0..n {
                b.append_option(v);
            }
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(ts.finish()),
        Arc::new(values.finish()),
        Arc::new(metric.finish()),
        labels.finish()?,
    ];
    columns.extend(per_label.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    MemTable::try_new(schema, vec![vec![batch]])
}

impl TableFunctionImpl for PromqlFunction {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let name = self.name();
        let expected = match self.kind {
            Kind::Range => 4,
            Kind::Instant => 2,
        };
        if args.len() != expected {
            let usage = match self.kind {
                Kind::Range => "promql_range(expr, start, end, step)",
                Kind::Instant => "promql_instant(expr, time)",
            };
            return plan_err!("{usage} takes {expected} arguments, got {}", args.len());
        }
        let Some(expr) = literal(&args[0]).and_then(text) else {
            return plan_err!("{name}: the first argument must be a PromQL expression string");
        };
        let (grid, instant) = match self.kind {
            Kind::Range => {
                let start = time_arg(name, "start", &args[1])?;
                let end = time_arg(name, "end", &args[2])?;
                if end < start {
                    return plan_err!("{name}: end is before start");
                }
                let step = step_arg(name, &args[3])?;
                (StepGrid { start, end, step }, false)
            }
            Kind::Instant => (StepGrid::instant(time_arg(name, "time", &args[1])?), true),
        };
        let result =
            (self.eval)(expr, grid, instant).map_err(|e| DataFusionError::Plan(format!("{name}: {e}")))?;
        Ok(Arc::new(result_table(result)?))
    }
}
