//! The Loki endpoints that read no data: build information and query formatting.

use super::{LokiError, parse_message, success};
use crate::api_error::ApiError;
use crate::params::Params;
use crate::prometheus::json_body;
use axum::response::Response;

/// The Loki version whose API the server answers as: Grafana reads it to choose the
/// features it uses.
pub const LOKI_API_VERSION: &str = "3.5.0";

/// `/loki/api/v1/status/buildinfo`: the API version, and Parquetry's own in `revision`.
pub async fn build_info() -> Response {
    json_body(
        serde_json::json!({
            "version": LOKI_API_VERSION,
            "revision": concat!("parquetry ", env!("CARGO_PKG_VERSION")),
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": "",
        })
        .to_string(),
    )
}

/// `/loki/api/v1/format_query`: the query in canonical form.
pub async fn format_query(params: Params) -> Result<Response, LokiError> {
    let parsed =
        parquetry::logql::parse(params.value("query")).map_err(|e| ApiError::bad_data(parse_message(&e)))?;
    Ok(success(parsed.to_string().into()))
}
