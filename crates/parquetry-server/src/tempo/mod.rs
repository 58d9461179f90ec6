//! Tempo's HTTP API (`/api/traces/…`, `/api/v2/traces/…`, `/api/search…`,
//! `/api/metrics/query_range`, `/api/echo`, `/api/status/buildinfo`) and Tempo's
//! plain-text errors.

mod search;
mod status;
mod tags;
mod traces;

use crate::api_error::{ApiError, ErrorType};
use crate::loki::params::parse_loki_time;
use crate::params::Params;
use crate::state::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parquetry::Error;
use std::sync::Arc;

/// Tempo's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/traces/{id}", get(traces::v1))
        .route("/api/v2/traces/{id}", get(traces::v2))
        .route("/api/search", get(search::search))
        .route("/api/metrics/query_range", get(search::metrics_range))
        .route("/api/search/tags", get(tags::names_v1))
        .route("/api/v2/search/tags", get(tags::names_v2))
        .route("/api/search/tag/{tag}/values", get(tags::values_v1))
        .route("/api/v2/search/tag/{tag}/values", get(tags::values_v2))
        .route("/api/echo", get(status::echo))
        .route("/api/status/buildinfo", get(status::build_info))
}

/// A failed Tempo call: the message as plain text, 400 for the request's fault, 404
/// for a trace that is not stored, 504 past the timeout, 500 for the server's.
#[derive(Debug)]
pub struct TempoError(pub ApiError);

impl From<ApiError> for TempoError {
    fn from(e: ApiError) -> TempoError {
        TempoError(e)
    }
}

impl IntoResponse for TempoError {
    fn into_response(self) -> Response {
        let status = match self.0.kind {
            ErrorType::BadData | ErrorType::Execution => StatusCode::BAD_REQUEST,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
            ErrorType::Timeout => StatusCode::GATEWAY_TIMEOUT,
            other => other.status(),
        };
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.0.message,
        )
            .into_response()
    }
}

/// An engine error in Tempo's words: TraceQL parse errors as `invalid TraceQL query:
/// parse error at line L, col C: …`, an unreadable store `internal`, the rest the
/// request's fault.
pub fn tempo_errors(error: Error) -> ApiError {
    match error {
        Error::Parse(e) => ApiError::bad_data(format!(
            "invalid TraceQL query: parse error at line {}, col {}: {}",
            e.line, e.column, e.message
        )),
        Error::Traceql(message) | Error::InvalidArgument(message) => ApiError::bad_data(message),
        other => ApiError::from_engine(other, "q"),
    }
}

/// The time in `name` (Unix seconds, nanoseconds or RFC 3339) in nanoseconds, if given.
fn optional_time(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match params.value(name) {
        "" => Ok(None),
        text => parse_loki_time(text)
            .map(Some)
            .map_err(|why| ApiError::invalid_param(name, why)),
    }
}

/// A positive count in `name`, `default` when absent.
fn count(params: &Params, name: &str, default: usize) -> Result<usize, ApiError> {
    match params.value(name) {
        "" => Ok(default),
        text => match text.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ApiError::bad_data(format!(
                "invalid {name} {text:?}: expected a positive integer"
            ))),
        },
    }
}

/// A JSON body.
fn json(value: serde_json::Value) -> Response {
    crate::prometheus::json_body(value.to_string())
}
