//! The endpoints that read no data: build information, health, readiness, exemplars.

use super::success;
use crate::api_error::{ApiError, parse_message};
use crate::params::Params;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The Prometheus version whose API the server answers as: Grafana and other clients
/// read it to choose the features they use.
pub const PROMETHEUS_API_VERSION: &str = "3.5.0";

/// `/api/v1/status/buildinfo`: the API version, and Parquetry's own in `revision`.
pub async fn build_info() -> Response {
    success(
        serde_json::json!({
            "version": PROMETHEUS_API_VERSION,
            "revision": concat!("parquetry ", env!("CARGO_PKG_VERSION")),
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": "",
        }),
        &[],
    )
}

/// `/-/healthy`.
pub async fn healthy() -> Response {
    text("Parquetry is Healthy.\n")
}

/// `/-/ready`: the store is open once the server listens.
pub async fn ready() -> Response {
    text("Parquetry is Ready.\n")
}

fn text(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `/api/v1/query_exemplars`: the store keeps no exemplars, so a valid request gets an
/// empty list; its parameters are checked as Prometheus checks them.
pub async fn exemplars(params: Params) -> Result<Response, ApiError> {
    let start = params.time_or("start", i64::MIN)?;
    let end = params.time_or("end", i64::MAX)?;
    if end < start {
        return Err(ApiError::bad_data(
            "end timestamp must not be before start timestamp",
        ));
    }
    parquetry::promql::parse(params.value("query")).map_err(|e| ApiError::bad_data(parse_message(&e)))?;
    Ok(success(serde_json::json!([]), &[]))
}
