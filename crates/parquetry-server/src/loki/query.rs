//! `/loki/api/v1/query` and `/loki/api/v1/query_range`.

use super::params::{LokiParams, now_ns};
use super::{LokiError, parse_message, run_logql};
use crate::api_error::ApiError;
use crate::params::Params;
use crate::prometheus::json_body;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use parquetry::logql::eval::api_json::to_loki_json;
use parquetry::logql::{Grid, QueryParams, default_step, parse};
use std::sync::Arc;

/// Most steps a range query may have, as in Loki.
const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// An instant metric query: `query`, `time` (now when absent), `limit`, `direction`. A
/// log query is refused, as Loki refuses it: it has no range to read.
pub async fn instant(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, LokiError> {
    let loki = LokiParams(&params);
    let limit = loki.limit()?;
    let time = loki.time_or("time", now_ns())?;
    let direction = loki.direction()?;
    let query = params.value("query").to_string();
    let expr = parse(&query).map_err(|e| ApiError::bad_data(parse_message(&e)))?;
    if expr.is_log() {
        return Err(ApiError::bad_data(
            "log queries are not supported as an instant query type, please change your query to a range query type",
        )
        .into());
    }
    let mut query_params = QueryParams::instant(time);
    query_params.limit = limit;
    query_params.direction = direction;
    query_params.categorize = categorize_labels(&headers);
    let answer = run_logql(&state, query, query_params).await?;
    Ok(json_body(to_loki_json(&answer)))
}

/// A range query: `query`, `start`, `end` (an hour to now by default), `limit`,
/// `direction`, `step` (Loki's default from the range), `interval`, checked in Loki's
/// order with Loki's messages. A log query reads `[start, end)`.
pub async fn range(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, LokiError> {
    let loki = LokiParams(&params);
    let (start, end) = loki.bounds()?;
    if end < start {
        return Err(ApiError::bad_data("end timestamp must not be before or equal to start time").into());
    }
    let limit = loki.limit()?;
    let direction = loki.direction()?;
    let step = loki.duration("step")?.unwrap_or_else(|| default_step(start, end));
    if step <= 0 {
        return Err(ApiError::bad_data(
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        )
        .into());
    }
    if (end - start) / step > MAX_POINTS_PER_SERIES {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter",
        )
        .into());
    }
    let interval = loki.duration("interval")?.unwrap_or(0);
    if interval < 0 {
        return Err(ApiError::bad_data("interval must be >= 0").into());
    }
    let query = params.value("query").to_string();
    let mut query_params = QueryParams::range(Grid { start, end, step });
    query_params.limit = limit;
    query_params.direction = direction;
    query_params.interval = interval;
    query_params.categorize = categorize_labels(&headers);
    let answer = run_logql(&state, query, query_params).await?;
    Ok(json_body(to_loki_json(&answer)))
}

/// Whether the request asks for Loki's `categorize-labels` encoding (Grafana does): its
/// `X-Loki-Response-Encoding-Flags` header lists the flag, among others comma-separated.
fn categorize_labels(headers: &HeaderMap) -> bool {
    headers
        .get_all("x-loki-response-encoding-flags")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|flag| flag.trim() == "categorize-labels")
}
