//! `/api/v1/read`: Prometheus remote read, so that a Prometheus with
//! `remote_read: [{url: …/api/v1/read}]` answers its queries over the archive. Each query
//! of a request (a time range and label matchers) gets the raw samples of the series
//! it selects, stale markers included: in the `SAMPLES` response (a snappy-compressed
//! `prometheus.ReadResponse`) or, when the client prefers it, the
//! `STREAMED_XOR_CHUNKS` one ([`remote_read_stream`]).

use super::remote_read_stream;
use crate::api_error::{ApiError, ErrorType, refuse};
use crate::query_run::run_query;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parquetry::model::{MatchOp, Matcher};
use parquetry::promql::eval::EvalError;
use parquetry::store::SeriesColumns;
use parquetry::store::ingest::remote_write::proto::{Label, Sample, TimeSeries};
use parquetry::store::select::DEFAULT_BATCH_SERIES;
use prost::Message;
use std::sync::Arc;

/// `prometheus.ReadRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct ReadRequest {
    /// The queries, answered in order.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// The response types the client takes, preferred first (0 `SAMPLES`, 1
    /// `STREAMED_XOR_CHUNKS`).
    #[prost(int32, repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// One query: a time range and matchers.
#[derive(Clone, PartialEq, Message)]
pub struct Query {
    /// First time, milliseconds, inclusive.
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// Last time, milliseconds, inclusive.
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// The label matchers.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
}

/// `prometheus.LabelMatcher`.
#[derive(Clone, PartialEq, Message)]
pub struct LabelMatcher {
    /// 0 `=`, 1 `!=`, 2 `=~`, 3 `!~`.
    #[prost(int32, tag = "1")]
    pub kind: i32,
    /// The label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// The value or regular expression.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// `prometheus.ReadResponse`: one result per query, in the queries' order.
#[derive(Clone, PartialEq, Message)]
pub struct ReadResponse {
    /// The results.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// The series one query selected.
#[derive(Clone, PartialEq, Message)]
pub struct QueryResult {
    /// The series with their samples in the range.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// Answers a remote read request within a query slot and the server's query timeout;
/// 400 for a body that does not decode or a matcher that does not compile, and the
/// status of Prometheus' API errors otherwise (400 past the sample limit,
/// `--query.max-samples`, as Prometheus' read handler; 503 past the timeout).
pub async fn remote_read(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request = match snap::raw::Decoder::new().decompress_vec(&body) {
        Ok(raw) => match ReadRequest::decode(raw.as_slice()) {
            Ok(request) => request,
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("the body does not decode as prometheus.ReadRequest: {e}"),
                );
            }
        },
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body is not snappy block-compressed: {e}"),
            );
        }
    };
    let queries = match request
        .queries
        .iter()
        .map(|q| matchers(&q.matchers).map(|m| (m, q.start_timestamp_ms, q.end_timestamp_ms)))
        .collect::<Result<Vec<_>, String>>()
    {
        Ok(queries) => queries,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, reason),
    };
    let Some(streamed) = streamed_response(&request.accepted_response_types) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "none of the accepted response types {:?} is supported: 0 (SAMPLES) and 1 (STREAMED_XOR_CHUNKS) are",
                request.accepted_response_types
            ),
        );
    };
    let limit = state.config.max_samples;
    let answer = run_query(
        &state,
        None,
        |e| ApiError::from_engine(e, "query"),
        move |engine, options| {
            let mut budget = limit;
            queries
                .iter()
                .map(|(matchers, start, end)| {
                    select(engine, matchers, *start, *end, &mut budget, &options.eval.cancel)
                })
                .collect::<Result<Vec<_>, _>>()
        },
    )
    .await;
    let results = match answer {
        Ok(results) => results,
        // Past the sample limit, Prometheus' read handler answers 400.
        Err(e) if e.kind == ErrorType::Execution => return refuse(StatusCode::BAD_REQUEST, e.message),
        Err(e) => return refuse(e.kind.status(), e.message),
    };
    if streamed {
        let mut body = Vec::new();
        for (index, series) in results.iter().enumerate() {
            remote_read_stream::write_frames(
                &mut body,
                index,
                series.iter().map(remote_read_stream::chunked),
            );
        }
        return ([(header::CONTENT_TYPE, remote_read_stream::CONTENT_TYPE)], body).into_response();
    }
    let response = ReadResponse {
        results: results
            .iter()
            .map(|series| QueryResult {
                timeseries: series.iter().map(time_series).collect(),
            })
            .collect(),
    };
    let compressed = match snap::raw::Encoder::new().compress_vec(&response.encode_to_vec()) {
        Ok(bytes) => bytes,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    (
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            (header::CONTENT_ENCODING, "snappy"),
        ],
        compressed,
    )
        .into_response()
}

/// Whether to answer with streamed chunks: the first response type the client accepts
/// that the server has (none listed means `SAMPLES`); `None` when it accepts neither.
fn streamed_response(accepted: &[i32]) -> Option<bool> {
    if accepted.is_empty() {
        return Some(false);
    }
    accepted.iter().find_map(|&kind| match kind {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    })
}

/// The matchers of a query, compiled.
fn matchers(sent: &[LabelMatcher]) -> Result<Vec<Matcher>, String> {
    sent.iter()
        .map(|m| {
            let op = match m.kind {
                0 => MatchOp::Equal,
                1 => MatchOp::NotEqual,
                2 => MatchOp::RegexMatch,
                3 => MatchOp::RegexNoMatch,
                other => return Err(format!("unknown matcher type {other}")),
            };
            Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| e.to_string())
        })
        .collect()
}

/// The series `matchers` select with their samples in `[start, end]` (those with any),
/// sorted by labels,
/// read a batch of series at a time; each batch's samples are taken from `budget`, and
/// a read past it fails as Prometheus' sample limit does.
fn select(
    engine: &parquetry::Engine,
    matchers: &[Matcher],
    start: i64,
    end: i64,
    budget: &mut usize,
    cancel: &parquetry::model::Cancel,
) -> Result<Vec<SeriesColumns>, parquetry::Error> {
    // Matchers that all match the empty string select from every series, as the TSDB
    // does for remote read (PromQL refuses such selectors; the store's index needs one
    // matcher that narrows).
    let everything = matchers.iter().all(Matcher::matches_empty);
    let store = engine.store();
    let selection = if everything {
        store.select_all(start, end)?
    } else {
        store.select(matchers, start, end)?
    };
    let n = selection.series().len();
    let mut chosen = Vec::with_capacity(n);
    for first in (0..n).step_by(DEFAULT_BATCH_SERIES) {
        if cancel.is_cancelled() {
            return Err(parquetry::Error::Eval(EvalError::Cancelled));
        }
        let mut batch = selection.read_each(first..(first + DEFAULT_BATCH_SERIES).min(n))?;
        if everything {
            batch.retain(|s| s.labels.matches_all(matchers));
        }
        let samples: usize = batch.iter().map(|s| s.timestamps.len()).sum();
        *budget = budget
            .checked_sub(samples)
            .ok_or(parquetry::Error::Eval(EvalError::TooManySamples))?;
        chosen.extend(batch.into_iter().filter(|s| !s.timestamps.is_empty()));
    }
    chosen.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok(chosen)
}

/// A series' labels as the protocol's messages list them.
pub fn labels_of(series: &SeriesColumns) -> Vec<Label> {
    series
        .labels
        .iter()
        .map(|l| Label {
            name: l.name.clone(),
            value: l.value.clone(),
        })
        .collect()
}

/// A series with its samples, for the `SAMPLES` response.
fn time_series(series: &SeriesColumns) -> TimeSeries {
    TimeSeries {
        labels: labels_of(series),
        samples: series
            .timestamps
            .iter()
            .zip(&series.values)
            .map(|(&timestamp, &value)| Sample { value, timestamp })
            .collect(),
        exemplars: Vec::new(),
        histograms: Vec::new(),
    }
}
