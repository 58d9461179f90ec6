//! `traceql(query, start, end)`: TraceQL over the session's spans as a SQL table.
//!
//! A search gives a row per span of every spanset found (not only the few a search
//! response shows): `trace_id`, `span_id`, `spanset` (its number within the trace),
//! `name`, `start_time`, `duration_ns`, `root_service_name`, `root_name`. A metrics query
//! gives a row per point: `labels` (the series' labels as PromQL writes them),
//! `timestamp` (the step's start) and `value`.

use crate::promql_functions::{literal, step_arg, text, time_arg};
use datafusion::arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampNanosecondBuilder,
    UInt32Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::catalog::{TableFunctionImpl, TableProvider};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::Expr;
use parquetry_spans::SpanStore;
use parquetry_traceql::eval::metrics::prom_labels;
use parquetry_traceql::eval::{
    MetricsParams, MetricsResult, SearchParams, SearchResult, run_metrics, search,
};
use std::sync::Arc;

const NANOS_PER_MS: i64 = 1_000_000;
const USAGE: &str = "traceql(query, start, end [, step])";

/// The `traceql` table function over one spans table.
#[derive(Debug)]
pub struct TraceqlFunction {
    spans: Arc<SpanStore>,
}

impl TraceqlFunction {
    /// The function over `spans`.
    pub fn new(spans: Arc<SpanStore>) -> TraceqlFunction {
        TraceqlFunction { spans }
    }
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

fn table(batch: RecordBatch) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?))
}

/// Every span of every spanset found, a row each.
fn search_batch(result: &SearchResult) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("trace_id", DataType::Utf8, false),
        Field::new("span_id", DataType::Utf8, false),
        Field::new("spanset", DataType::UInt32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("start_time", utc(), false),
        Field::new("duration_ns", DataType::Int64, false),
        Field::new("root_service_name", DataType::Utf8, true),
        Field::new("root_name", DataType::Utf8, true),
    ]));
    let (mut traces, mut ids, mut sets, mut names) = (
        StringBuilder::new(),
        StringBuilder::new(),
        UInt32Builder::new(),
        StringBuilder::new(),
    );
    let (mut starts, mut durations) = (
        TimestampNanosecondBuilder::new().with_timezone("UTC"),
        Int64Builder::new(),
    );
    let (mut services, mut roots) = (StringBuilder::new(), StringBuilder::new());
    for t in &result.traces {
        for (n, set) in t.spansets.iter().enumerate() {
            for span in &set.spans {
                traces.append_value(t.trace_id.to_string());
                ids.append_value(span.span_id.to_string());
                sets.append_value(n as u32);
                names.append_value(&span.name);
                starts.append_value(span.start_ns);
                durations.append_value(span.duration_ns);
                services.append_option(t.root_service.as_deref());
                roots.append_option(t.root_name.as_deref());
            }
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(traces.finish()),
        Arc::new(ids.finish()),
        Arc::new(sets.finish()),
        Arc::new(names.finish()),
        Arc::new(starts.finish()),
        Arc::new(durations.finish()),
        Arc::new(services.finish()),
        Arc::new(roots.finish()),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Every point of every series, a row each.
fn metrics_batch(result: &MetricsResult) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("labels", DataType::Utf8, false),
        Field::new("timestamp", utc(), false),
        Field::new("value", DataType::Float64, false),
    ]));
    let (mut labels, mut times, mut values) = (
        StringBuilder::new(),
        TimestampNanosecondBuilder::new().with_timezone("UTC"),
        Float64Builder::new(),
    );
    for s in &result.series {
        let text = prom_labels(&s.labels);
        for (ms, v) in &s.points {
            labels.append_value(&text);
            times.append_value(ms * NANOS_PER_MS);
            values.append_value(*v);
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(labels.finish()),
        Arc::new(times.finish()),
        Arc::new(values.finish()),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

impl TableFunctionImpl for TraceqlFunction {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        if !(3..=4).contains(&args.len()) {
            return plan_err!("{USAGE} does not take {} arguments", args.len());
        }
        let Some(query) = literal(&args[0]).and_then(text) else {
            return plan_err!("traceql: the first argument must be a TraceQL query string");
        };
        let q =
            parquetry_traceql::parse(query).map_err(|e| DataFusionError::Plan(format!("traceql: {e}")))?;
        let start_ns = time_arg("traceql", "start", &args[1])?.saturating_mul(NANOS_PER_MS);
        let end_ns = time_arg("traceql", "end", &args[2])?.saturating_mul(NANOS_PER_MS);
        if end_ns <= start_ns {
            return plan_err!("traceql: end must be after start");
        }
        let failed = |e: parquetry_traceql::eval::EvalError| DataFusionError::Plan(format!("traceql: {e}"));
        if q.metrics.is_some() {
            let Some(step) = args.get(3) else {
                return plan_err!("traceql: a metrics query needs a step: {USAGE}");
            };
            let step_ns = step_arg("traceql", step)?.saturating_mul(NANOS_PER_MS);
            let params = MetricsParams {
                start_ns,
                end_ns,
                step_ns,
            };
            return table(metrics_batch(
                &run_metrics(&self.spans, &q, &params).map_err(failed)?,
            )?);
        }
        if args.len() == 4 {
            return plan_err!("traceql: a search takes no step; {query} is not a metrics query");
        }
        let params = SearchParams {
            start_ns,
            end_ns,
            limit: usize::MAX,
            spans_per_spanset: usize::MAX,
        };
        table(search_batch(&search(&self.spans, &q, &params).map_err(failed)?)?)
    }
}
