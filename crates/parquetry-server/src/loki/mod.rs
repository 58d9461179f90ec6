//! Loki's HTTP API (`/loki/api/v1/…`): LogQL queries, labels, series, index statistics
//! and volumes, and Loki's plain-text errors.

mod labels;
pub(crate) mod params;
mod query;
mod status;
mod volume;

use crate::api_error::{ApiError, ErrorType};
use crate::query_run::run_query;
use crate::state::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parquetry::Error;
use std::sync::Arc;

/// Loki's routes, with the methods Loki accepts on each.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/loki/api/v1/query", get(query::instant).post(query::instant))
        .route("/loki/api/v1/query_range", get(query::range).post(query::range))
        .route("/loki/api/v1/labels", get(labels::names).post(labels::names))
        .route("/loki/api/v1/label", get(labels::names).post(labels::names))
        .route(
            "/loki/api/v1/label/{name}/values",
            get(labels::values).post(labels::values),
        )
        .route("/loki/api/v1/series", get(labels::series).post(labels::series))
        .route("/loki/api/v1/index/stats", get(labels::stats).post(labels::stats))
        .route(
            "/loki/api/v1/index/volume",
            get(volume::instant).post(volume::instant),
        )
        .route(
            "/loki/api/v1/index/volume_range",
            get(volume::range).post(volume::range),
        )
        .route(
            "/loki/api/v1/format_query",
            get(status::format_query).post(status::format_query),
        )
        .route("/loki/api/v1/status/buildinfo", get(status::build_info))
}

/// A failed Loki call: Loki answers with the message as plain text and a status code
/// that says whose fault it was: 400 for the request's, 499 when the client went away,
/// 504 past the timeout, 500 for the server's.
#[derive(Debug)]
pub struct LokiError(pub ApiError);

impl From<ApiError> for LokiError {
    fn from(e: ApiError) -> LokiError {
        LokiError(e)
    }
}

impl IntoResponse for LokiError {
    fn into_response(self) -> Response {
        let (status, message) = match self.0.kind {
            ErrorType::Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "request timed out, decrease the duration of the request or add more label \
                 matchers (prefer exact match over regex match) to reduce the amount of data processed"
                    .to_string(),
            ),
            ErrorType::Canceled => (
                ErrorType::Canceled.status(),
                "the request was cancelled by the client".to_string(),
            ),
            ErrorType::Internal => (StatusCode::INTERNAL_SERVER_ERROR, self.0.message),
            ErrorType::NotFound => (StatusCode::NOT_FOUND, self.0.message),
            ErrorType::BadData | ErrorType::Execution => (StatusCode::BAD_REQUEST, self.0.message),
        };
        (
            status,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            message,
        )
            .into_response()
    }
}

/// Evaluates the LogQL `query` with `params` as [`run_query`] runs queries: in a slot,
/// under the timeout, its reads stopped when the request is cancelled or times out.
pub async fn run_logql(
    state: &Arc<AppState>,
    query: String,
    params: parquetry::logql::QueryParams,
) -> Result<parquetry::logql::Answer, ApiError> {
    run_query(state, None, loki_errors, move |engine, options| {
        let params = parquetry::logql::QueryParams {
            cancel: options.eval.cancel.clone(),
            ..params
        };
        engine.logql(&query, &params)
    })
    .await
}

/// An engine error in Loki's words: parse errors as `parse error at line L, col C: …`,
/// an unreadable store `internal`, the rest the request's fault.
pub fn loki_errors(error: Error) -> ApiError {
    match error {
        Error::Parse(e) => ApiError::bad_data(parse_message(&e)),
        Error::Logql(parquetry::logql::EvalError::Storage(e)) => ApiError::new(ErrorType::Internal, e),
        Error::Logql(e) => ApiError::bad_data(e.to_string()),
        other => ApiError::from_engine(other, "query"),
    }
}

/// A LogQL parse error as Loki words it.
pub fn parse_message(e: &parquetry::logql::ParseError) -> String {
    format!("parse error at line {}, col {}: {}", e.line, e.column, e.message)
}

/// `{"status":"success","data":…}`.
pub fn success(data: serde_json::Value) -> Response {
    crate::prometheus::success(data, &[])
}
