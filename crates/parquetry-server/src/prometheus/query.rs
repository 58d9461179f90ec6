//! `/api/v1/query` and `/api/v1/query_range`.

use super::json_body;
use crate::api_error::ApiError;
use crate::params::Params;
use crate::query_run::run_query;
use crate::request_log::now_ms;
use crate::state::AppState;
use crate::streamed_body::streamed_body;
use axum::extract::State;
use axum::response::Response;
use parquetry::model::value::format_api_value;
use parquetry::promql::eval::api_json::{Extras, write_api_json_pieces};
use parquetry::promql::eval::{QueryResult, QueryStats, StepGrid};
use std::sync::Arc;
use std::time::Instant;

/// Most steps a range query may have, as in Prometheus.
const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// An instant query: `query`, `time` (now when absent), `timeout`, `stats`.
pub async fn instant(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    let received = Instant::now();
    let time = params.time_or("time", now_ms())?;
    let timeout = params.optional_duration("timeout")?;
    let query = params.value("query").to_string();
    let (result, notes, stats) = run_query(&state, timeout, query_errors, move |engine, options| {
        let began = Instant::now();
        let result = engine.query_instant(&query, time, options)?;
        let stats = Timed::since(received, began, &options.eval.stats);
        Ok((result, options.eval.annotations.texts(&query), stats))
    })
    .await?;
    Ok(answer(result, true, time, &params, stats, notes))
}

/// A range query: `query`, `start`, `end`, `step`, `timeout`, `stats`, checked in
/// Prometheus' order with Prometheus' messages.
pub async fn range(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    let received = Instant::now();
    let start = params.time("start")?;
    let end = params.time("end")?;
    if end < start {
        return Err(ApiError::invalid_param(
            "end",
            "end timestamp must not be before start time",
        ));
    }
    let step = params.duration("step")?;
    if step <= 0 {
        return Err(ApiError::invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (end as i128 - start as i128) / step as i128 > MAX_POINTS_PER_SERIES as i128 {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let timeout = params.optional_duration("timeout")?;
    let query = params.value("query").to_string();
    let grid = StepGrid { start, end, step };
    let (result, notes, stats) = run_query(&state, timeout, query_errors, move |engine, options| {
        let began = Instant::now();
        let result = engine.query_range(&query, grid, options)?;
        let stats = Timed::since(received, began, &options.eval.stats);
        Ok((result, options.eval.annotations.texts(&query), stats))
    })
    .await?;
    Ok(answer(result, false, start, &params, stats, notes))
}

/// The answer to a query whose result is `result` (see [`write_api_json_pieces`] for
/// `instant` and `time_ms`), streamed as it is written: `stats` inside `data` when the
/// request's `stats` parameter is set (Prometheus gives them for any value), then the
/// annotations.
fn answer(
    result: QueryResult,
    instant: bool,
    time_ms: i64,
    params: &Params,
    stats: Timed,
    notes: (Vec<String>, Vec<String>),
) -> Response {
    let in_data = match params.value("stats").is_empty() {
        true => String::new(),
        false => stats.json(stats.received.elapsed().as_secs_f64()),
    };
    let after_data = annotations(notes);
    let body = streamed_body(move |out| {
        let extras = Extras {
            in_data: &in_data,
            after_data: &after_data,
        };
        write_api_json_pieces(&result, instant, time_ms, extras, &mut |piece| {
            out.put_piece(piece)
        })
    });
    json_body(body)
}

/// What a query's `stats` report: when its request came, how long it waited for a slot
/// and evaluated, and what the evaluation read and held.
struct Timed {
    received: Instant,
    queued: f64,
    evaluated: f64,
    samples_read: u64,
    peak_points: u64,
}

impl Timed {
    /// The times of an evaluation that began at `began` and ended now, for a request
    /// received at `received`.
    fn since(received: Instant, began: Instant, stats: &QueryStats) -> Timed {
        Timed {
            received,
            queued: began.duration_since(received).as_secs_f64(),
            evaluated: began.elapsed().as_secs_f64(),
            samples_read: stats.samples_read(),
            peak_points: stats.peak_points(),
        }
    }

    /// `,"stats":{…}` in Prometheus' shape, `total` seconds since the request came.
    /// Parsing is part of the evaluation here, so preparation and sorting count zero.
    fn json(&self, total: f64) -> String {
        let seconds = format_api_value;
        format!(
            r#","stats":{{"timings":{{"evalTotalTime":{eval},"resultSortTime":0,"queryPreparationTime":0,"innerEvalTime":{eval},"execQueueTime":{queue},"execTotalTime":{total}}},"samples":{{"totalQueryableSamples":{read},"peakSamples":{peak}}}}}"#,
            eval = seconds(self.evaluated),
            queue = seconds(self.queued),
            total = seconds(total),
            read = self.samples_read,
            peak = self.peak_points,
        )
    }
}

/// Prometheus' `,"warnings":[…]` and `,"infos":[…]` fields, each only when its list is
/// not empty, for a body's end after `data`.
fn annotations((warnings, infos): (Vec<String>, Vec<String>)) -> String {
    let mut fields = String::new();
    for (key, list) in [("warnings", warnings), ("infos", infos)] {
        if !list.is_empty() {
            fields.push_str(&format!(",\"{key}\":{}", serde_json::Value::from(list)));
        }
    }
    fields
}

/// Engine errors of a query, parse errors naming the `query` parameter.
fn query_errors(error: parquetry::Error) -> ApiError {
    ApiError::from_engine(error, "query")
}
