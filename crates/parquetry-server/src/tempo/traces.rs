//! `/api/traces/<id>` and `/api/v2/traces/<id>`: every span of a trace, as OTLP JSON
//! or, for `Accept: application/protobuf`, as protobuf.

use super::{TempoError, json, tempo_errors};
use crate::api_error::{ApiError, ErrorType};
use crate::query_run::run_query;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use parquetry::spans::Span;
use parquetry::spans::otlp_json::resource_spans_json;
use parquetry::spans::otlp_proto::{TracesData, traces_data};
use prost::Message;
use std::sync::Arc;

const PROTOBUF: &str = "application/protobuf";

/// Tempo's `TraceByIDResponse`: field 1 is the trace, whose encoding is OTLP's
/// `TracesData` (the other fields, metrics and partial status, are left out).
#[derive(Clone, PartialEq, prost::Message)]
struct TraceByIdResponse {
    #[prost(message, optional, tag = "1")]
    trace: Option<TracesData>,
}

/// The spans of trace `id`; a trace that is not stored is `not_found`.
async fn spans_of(state: &Arc<AppState>, id: String) -> Result<Vec<Span>, ApiError> {
    let spans = run_query(state, None, tempo_errors, move |engine, _| engine.trace(&id)).await?;
    if spans.is_empty() {
        return Err(ApiError::new(ErrorType::NotFound, "trace not found"));
    }
    Ok(spans)
}

/// Whether the client asked for protobuf.
fn wants_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|part| part.trim().starts_with(PROTOBUF)))
}

fn protobuf(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, PROTOBUF)], body).into_response()
}

/// Which of Tempo's trace-by-id answers to give.
#[derive(Clone, Copy)]
enum Version {
    /// `{"batches":[…]}`, or the trace as an OTLP `TracesData` message.
    V1,
    /// `{"trace":{"resourceSpans":[…]}}`, or a `TraceByIDResponse` message whose field 1
    /// is the trace.
    V2,
}

/// The trace `id` in `version`'s shape, as protobuf when the client asks for it.
async fn answer(
    state: &Arc<AppState>,
    id: String,
    headers: &HeaderMap,
    version: Version,
) -> Result<Response, TempoError> {
    let spans = spans_of(state, id).await?;
    let response = match (version, wants_protobuf(headers)) {
        (Version::V1, true) => protobuf(traces_data(&spans).encode_to_vec()),
        (Version::V2, true) => {
            let response = TraceByIdResponse {
                trace: Some(traces_data(&spans)),
            };
            protobuf(response.encode_to_vec())
        }
        (Version::V1, false) => json(serde_json::json!({ "batches": resource_spans_json(&spans) })),
        (Version::V2, false) => json(serde_json::json!({
            "trace": { "resourceSpans": resource_spans_json(&spans) }
        })),
    };
    Ok(response)
}

/// `/api/traces/<id>`: Tempo's v1 answer.
pub async fn v1(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, TempoError> {
    answer(&state, id, &headers, Version::V1).await
}

/// `/api/v2/traces/<id>`: Tempo's v2 answer.
pub async fn v2(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, TempoError> {
    answer(&state, id, &headers, Version::V2).await
}
