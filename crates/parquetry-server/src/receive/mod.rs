//! The receivers: data pushed to the server goes through the write-ahead log and a
//! buffer ([`intake`]) into commits. `--read-only` leaves these routes out.
//!
//! Routes: Prometheus remote write (`/api/v1/write`), Loki push
//! (`/loki/api/v1/push`, [`loki_push`]) and OTLP over HTTP (`/v1/logs`, `/v1/traces`,
//! `/v1/metrics` and Prometheus' `/api/v1/otlp/v1/metrics`, [`otlp`]).

pub mod body;
pub mod intake;
pub mod loki_push;
pub mod otlp;
pub mod payload;
pub mod wal;

use crate::api_error::refuse;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use body::header_text;
use intake::{Accepted, Intake, Refusal};
use parquetry::store::ingest::remote_write::Protocol;
use payload::Payload;
use std::sync::Arc;

/// The receivers' routes, feeding `intake`.
pub fn routes<S>(intake: Arc<Intake>) -> Router<S> {
    Router::new()
        .route("/api/v1/write", post(remote_write))
        .route("/loki/api/v1/push", post(loki_push::push))
        .route("/v1/logs", post(otlp::logs))
        .route("/v1/traces", post(otlp::traces))
        .route("/v1/metrics", post(otlp::metrics))
        .route("/api/v1/otlp/v1/metrics", post(otlp::metrics))
        .with_state(intake)
}

/// The HTTP status of a refusal: 400 for invalid data (senders do not retry it), 429
/// for back-pressure and 500 for a log that could not be written (both retried).
pub fn refusal_status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
        Refusal::Overloaded(..) => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Log(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Hands `body` to `intake` on a blocking thread (reading it, logging it and syncing the
/// log take time).
pub async fn run_accept(
    intake: Arc<Intake>,
    payload: Payload,
    body: impl AsRef<[u8]> + Send + 'static,
) -> Result<Accepted, Refusal> {
    tokio::task::spawn_blocking(move || intake.accept(payload, body.as_ref()))
        .await
        .unwrap_or_else(|e| Err(Refusal::Log(std::io::Error::other(e))))
}

/// Prometheus remote write, protocols 1.0 and 2.0: 204 once the request is in the
/// write-ahead log; 400 (not retried) for a body that is not valid, with nothing of it
/// kept; 415 for an encoding or message type the server does not speak; 429 when too
/// much waits for a commit; 2.0 answers carry the written counts (native histograms and
/// exemplars are not stored yet, and count zero).
async fn remote_write(State(intake): State<Arc<Intake>>, headers: HeaderMap, body: Bytes) -> Response {
    let encoding = header_text(&headers, axum::http::header::CONTENT_ENCODING);
    if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("snappy") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported compression {encoding:?}: only snappy is"),
        );
    }
    let content_type = header_text(&headers, axum::http::header::CONTENT_TYPE);
    let protocol = if content_type.is_empty() {
        Some(Protocol::V1)
    } else {
        Protocol::from_content_type(content_type)
    };
    let Some(protocol) = protocol else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported content type {content_type:?}: expected application/x-protobuf with proto=prometheus.WriteRequest or proto=io.prometheus.write.v2.Request"
            ),
        );
    };
    let accepted = match run_accept(intake, Payload::RemoteWrite(protocol), body).await {
        Ok(accepted) => accepted,
        Err(refusal) => return refuse(refusal_status(&refusal), refusal),
    };
    if accepted.histograms > 0 || accepted.exemplars > 0 {
        intake::log_line(
            "native histograms and exemplars are not stored yet",
            &format!(
                "{} histogram samples and {} exemplars left out",
                accepted.histograms, accepted.exemplars
            ),
        );
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if protocol == Protocol::V2 {
        let written = response.headers_mut();
        for (name, count) in [
            ("x-prometheus-remote-write-samples-written", accepted.items),
            ("x-prometheus-remote-write-histograms-written", 0),
            ("x-prometheus-remote-write-exemplars-written", 0),
        ] {
            written.insert(name, count.into());
        }
    }
    response
}
