//! Prometheus' HTTP API (`/api/v1/…`, `/-/healthy`, `/-/ready`): the routes, and the
//! success body every endpoint shares.

mod labels;
mod metadata;
mod query;
pub mod remote_read;
pub mod remote_read_stream;
mod rules;
mod status;
mod syntax;
mod xor_chunk;

pub use rules::RulesNow;

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parquetry::model::Labels;
use std::sync::Arc;

/// Prometheus' routes, with the methods Prometheus accepts on each.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .route("/api/v1/series", get(labels::series).post(labels::series))
        .route("/api/v1/labels", get(labels::names).post(labels::names))
        .route("/api/v1/label/{name}/values", get(labels::values))
        .route("/api/v1/metadata", get(metadata::metadata))
        .route("/api/v1/read", axum::routing::post(remote_read::remote_read))
        .route(
            "/api/v1/query_exemplars",
            get(status::exemplars).post(status::exemplars),
        )
        .route(
            "/api/v1/format_query",
            get(syntax::format_query).post(syntax::format_query),
        )
        .route(
            "/api/v1/parse_query",
            get(syntax::parse_query).post(syntax::parse_query),
        )
        .route("/api/v1/rules", get(rules::rules))
        .route("/api/v1/alerts", get(rules::alerts))
        .route("/api/v1/status/buildinfo", get(status::build_info))
        .route("/-/healthy", get(status::healthy).head(status::healthy))
        .route("/-/ready", get(status::ready).head(status::ready))
}

/// A JSON body (a whole text, or a streamed body), as the API's content type.
pub fn json_body(body: impl Into<axum::body::Body>) -> Response {
    let body: axum::body::Body = body.into();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `{"status":"success","data":…}`, with `"warnings"` when there are any.
pub fn success(data: serde_json::Value, warnings: &[String]) -> Response {
    let mut body = serde_json::json!({ "status": "success", "data": data });
    if !warnings.is_empty() {
        body["warnings"] = serde_json::json!(warnings);
    }
    json_body(body.to_string())
}

/// Label sets as a JSON list of `{"name":"value",…}` objects, as the series endpoints of
/// Prometheus and Loki list them.
pub fn label_objects(sets: &[Arc<Labels>]) -> serde_json::Value {
    sets.iter()
        .map(|labels| {
            let object: serde_json::Map<String, serde_json::Value> = labels
                .iter()
                .map(|l| (l.name.clone(), serde_json::Value::from(l.value.as_str())))
                .collect();
            serde_json::Value::Object(object)
        })
        .collect()
}
