//! OTLP over HTTP: `/v1/logs`, `/v1/traces` and `/v1/metrics` (also served as
//! `/api/v1/otlp/v1/metrics`, where Prometheus 3 takes OTLP metrics), with binary protobuf
//! (`application/x-protobuf`) or OTLP/JSON (`application/json`) bodies, optionally
//! gzip-encoded. Answers follow the OTLP/HTTP specification: 200 with an empty
//! `Export…ServiceResponse` once the data is in the write-ahead log (its
//! `partial_success` counting metric points left out), and on refusals a
//! `google.rpc.Status` in the request's encoding: 400 for a body that is not valid (not
//! retried, nothing of it kept), 429 when too much waits for a commit (retried), 415 for
//! a content type it does not speak.

use super::body::{decoded, header_text, media_type};
use super::intake::{Accepted, Intake, Refusal};
use super::payload::{OtlpEncoding, Payload};
use super::{refusal_status, run_accept};
use crate::api_error::refuse;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message;
use std::sync::Arc;

/// `google.rpc.Status`, the body of OTLP/HTTP refusals.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    /// The gRPC status code.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// Why.
    #[prost(string, tag = "2")]
    pub message: String,
}

/// gRPC's `INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED` and `INTERNAL` codes.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const INTERNAL: i32 = 13;

/// `POST /v1/logs`.
pub async fn logs(state: State<Arc<Intake>>, headers: HeaderMap, body: Bytes) -> Response {
    export(state, &headers, body, Payload::OtlpLogs).await
}

/// `POST /v1/traces`.
pub async fn traces(state: State<Arc<Intake>>, headers: HeaderMap, body: Bytes) -> Response {
    export(state, &headers, body, Payload::OtlpTraces).await
}

/// `POST /v1/metrics` and `POST /api/v1/otlp/v1/metrics`.
pub async fn metrics(state: State<Arc<Intake>>, headers: HeaderMap, body: Bytes) -> Response {
    export(state, &headers, body, Payload::OtlpMetrics).await
}

/// `Export…ServiceResponse`: the same message for every signal.
#[derive(Clone, PartialEq, Message)]
pub struct ExportResponse {
    /// Set when part of the request was left out.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<PartialSuccess>,
}

/// `Export…PartialSuccess`.
#[derive(Clone, PartialEq, Message)]
pub struct PartialSuccess {
    /// Points (records, spans) left out.
    #[prost(int64, tag = "1")]
    pub rejected: i64,
    /// Why.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

async fn export(
    State(intake): State<Arc<Intake>>,
    headers: &HeaderMap,
    body: Bytes,
    payload: fn(OtlpEncoding) -> Payload,
) -> Response {
    let encoding = match media_type(header_text(headers, header::CONTENT_TYPE)).as_str() {
        "application/x-protobuf" => OtlpEncoding::Protobuf,
        "application/json" => OtlpEncoding::Json,
        other => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "unsupported content type {other:?}: expected application/x-protobuf or application/json"
                ),
            );
        }
    };
    let body = match decoded(headers, &body) {
        Ok(body) => body.into_owned(),
        Err((status, reason)) => return status_answer(encoding, status, INVALID_ARGUMENT, reason),
    };
    match run_accept(intake, payload(encoding), body).await {
        Ok(accepted) => {
            if accepted.rejected > 0 {
                let detail = format!("{} points left out: {}", accepted.rejected, accepted.rejection);
                super::intake::log_line("OTLP metric points left out", &detail);
            }
            success(encoding, payload(encoding), &accepted)
        }
        Err(refusal) => {
            let code = match refusal {
                Refusal::Invalid(_) => INVALID_ARGUMENT,
                Refusal::Overloaded(..) => RESOURCE_EXHAUSTED,
                Refusal::Log(_) => INTERNAL,
            };
            status_answer(encoding, refusal_status(&refusal), code, refusal.to_string())
        }
    }
}

/// 200 with an `Export…ServiceResponse` in the request's encoding: empty, or with the
/// points left out.
fn success(encoding: OtlpEncoding, payload: Payload, accepted: &Accepted) -> Response {
    let partial = (accepted.rejected > 0).then(|| PartialSuccess {
        rejected: accepted.rejected as i64,
        error_message: accepted.rejection.clone(),
    });
    match encoding {
        OtlpEncoding::Protobuf => (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            ExportResponse {
                partial_success: partial,
            }
            .encode_to_vec(),
        )
            .into_response(),
        OtlpEncoding::Json => {
            let body = match partial {
                None => serde_json::json!({}),
                Some(p) => {
                    let count = match payload {
                        Payload::OtlpLogs(_) => "rejectedLogRecords",
                        Payload::OtlpTraces(_) => "rejectedSpans",
                        _ => "rejectedDataPoints",
                    };
                    let mut partial = serde_json::Map::new();
                    partial.insert(count.to_string(), p.rejected.to_string().into());
                    partial.insert("errorMessage".to_string(), p.error_message.into());
                    serde_json::json!({ "partialSuccess": partial })
                }
            };
            ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        }
    }
}

/// A refusal carrying a `google.rpc.Status` in the request's encoding.
fn status_answer(encoding: OtlpEncoding, status: StatusCode, code: i32, message: String) -> Response {
    match encoding {
        OtlpEncoding::Protobuf => (
            status,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            RpcStatus { code, message }.encode_to_vec(),
        )
            .into_response(),
        OtlpEncoding::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "code": code, "message": message }).to_string(),
        )
            .into_response(),
    }
}
