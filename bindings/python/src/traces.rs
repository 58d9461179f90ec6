//! Traces for Python: one trace's spans and log lines as tables, TraceQL searches as
//! Tempo's JSON, TraceQL metrics as a PromQL-shaped result.

use parquetry::arrow::record_batch::RecordBatch;
use parquetry::logql::Direction;
use parquetry::logql::LogStream;
use parquetry::logql::eval::labels::LabelSet;
use parquetry::logs::read::LogQuery;
use parquetry::model::Labels;
use parquetry::promql::eval::{QueryResult, ResultSeries};
use parquetry::spans::table_view::view_batch;
use parquetry::sql::logql_functions::streams_batch;
use parquetry::traceql::eval::{MetricsParams, MetricsResult, SearchParams};
use parquetry::{Engine, Error};

/// The spans of trace `trace_id` as rows of the spans table, in start order; empty when
/// the trace is not stored.
pub fn trace_table(engine: &Engine, trace_id: &str) -> Result<RecordBatch, Error> {
    let spans = engine.trace(trace_id)?;
    view_batch(&spans).map_err(|e| Error::InvalidArgument(e.to_string()))
}

/// The log lines that carry trace `trace_id`, oldest first.
pub fn trace_logs(engine: &Engine, trace_id: &str) -> Result<RecordBatch, Error> {
    let id = parquetry::spans::TraceId::parse(trace_id).map_err(Error::InvalidArgument)?;
    let query = LogQuery {
        trace_id: Some(id.to_string()),
        ..LogQuery::default()
    };
    let streams: Vec<LogStream> = engine
        .logs()?
        .read(&query)?
        .into_iter()
        .map(|s| LogStream {
            labels: LabelSet(
                s.labels
                    .iter()
                    .map(|l| (l.name.clone(), l.value.clone()))
                    .collect(),
            ),
            entries: s.entries.into_iter().map(|e| (e.timestamp, e.line)).collect(),
            entry_labels: Vec::new(),
        })
        .collect();
    streams_batch(&streams, Direction::Forward).map_err(|e| Error::InvalidArgument(e.to_string()))
}

/// The TraceQL search `query` as Tempo's search response.
pub fn traceql_search(engine: &Engine, query: &str, params: &SearchParams) -> Result<String, Error> {
    Ok(engine.traceql_search(query, params)?.to_tempo_json().to_string())
}

/// The TraceQL metrics query `query` as a matrix of series.
pub fn traceql_metrics(engine: &Engine, query: &str, params: &MetricsParams) -> Result<QueryResult, Error> {
    Ok(as_matrix(engine.traceql_metrics(query, params)?))
}

fn as_matrix(result: MetricsResult) -> QueryResult {
    QueryResult::Vector(
        result
            .series
            .into_iter()
            .map(|s| ResultSeries {
                labels: Labels::from_pairs(s.labels),
                points: s.points,
            })
            .collect(),
    )
}
