//! The Tempo endpoints that read no data: echo and build information.

use super::json;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The Tempo version whose API the server answers as: Grafana reads it to choose the
/// features it uses.
pub const TEMPO_API_VERSION: &str = "2.8.0";

/// `/api/echo`: `echo`, as Tempo answers Grafana's connection test.
pub async fn echo() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "echo").into_response()
}

/// `/api/status/buildinfo`: the API version, and Parquetry's own in `revision`.
pub async fn build_info() -> Response {
    json(serde_json::json!({
        "version": TEMPO_API_VERSION,
        "revision": concat!("parquetry ", env!("CARGO_PKG_VERSION")),
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": "",
    }))
}
