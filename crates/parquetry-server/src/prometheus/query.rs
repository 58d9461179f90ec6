//! `/api/v1/query` and `/api/v1/query_range`.

use super::json_body;
use crate::api_error::ApiError;
use crate::params::Params;
use crate::query_run::run_query;
use crate::request_log::now_ms;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use parquetry::promql::eval::StepGrid;
use parquetry::promql::eval::api_json::to_api_json;
use std::sync::Arc;

/// Most steps a range query may have, as in Prometheus.
const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// An instant query: `query`, `time` (now when absent), `timeout`.
pub async fn instant(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    let time = params.time_or("time", now_ms())?;
    let timeout = params.optional_duration("timeout")?;
    let query = params.value("query").to_string();
    let (result, notes) = run_query(&state, timeout, query_errors, move |engine, options| {
        let result = engine.query_instant(&query, time, options)?;
        Ok((result, options.eval.annotations.texts(&query)))
    })
    .await?;
    Ok(json_body(with_annotations(
        to_api_json(&result, true, time),
        notes,
    )))
}

/// A range query: `query`, `start`, `end`, `step`, `timeout`, checked in Prometheus'
/// order with Prometheus' messages.
pub async fn range(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
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
    let (result, notes) = run_query(&state, timeout, query_errors, move |engine, options| {
        let result = engine.query_range(&query, grid, options)?;
        Ok((result, options.eval.annotations.texts(&query)))
    })
    .await?;
    Ok(json_body(with_annotations(
        to_api_json(&result, false, start),
        notes,
    )))
}

/// A success body with Prometheus' `"warnings"` and `"infos"` lists added after `data`
/// (each only when not empty).
fn with_annotations(mut body: String, (warnings, infos): (Vec<String>, Vec<String>)) -> String {
    if warnings.is_empty() && infos.is_empty() {
        return body;
    }
    body.pop();
    for (key, list) in [("warnings", warnings), ("infos", infos)] {
        if !list.is_empty() {
            body.push_str(&format!(",\"{key}\":{}", serde_json::Value::from(list)));
        }
    }
    body.push('}');
    body
}

/// Engine errors of a query, parse errors naming the `query` parameter.
fn query_errors(error: parquetry::Error) -> ApiError {
    ApiError::from_engine(error, "query")
}
