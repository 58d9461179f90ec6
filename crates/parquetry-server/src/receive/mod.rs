//! The receivers: data pushed to the server goes through the write-ahead log and a
//! buffer ([`intake`]) into commits. `--read-only` leaves these routes out.

pub mod intake;
pub mod wal;

use crate::api_error::refuse;
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use intake::Refusal;
use parquetry::store::ingest::remote_write::{self, Protocol};
use std::sync::Arc;

/// The receivers' routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/write", post(remote_write))
}

/// Prometheus remote write, protocols 1.0 and 2.0: 204 once the request is in the
/// write-ahead log; 400 (not retried) for a body that is not valid, with nothing of it
/// kept; 415 for an encoding or message type the server does not speak; 429 when too
/// much waits for a commit; 2.0 answers carry the written counts (native histograms and
/// exemplars are not stored yet, and count zero).
async fn remote_write(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(intake) = state.intake.clone() else {
        return refuse(StatusCode::NOT_FOUND, "the server is read-only");
    };
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let encoding = text(header::CONTENT_ENCODING);
    if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("snappy") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported compression {encoding:?}: only snappy is"),
        );
    }
    let content_type = text(header::CONTENT_TYPE);
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
    let accepted = tokio::task::spawn_blocking(move || {
        let bad = |e: remote_write::RemoteWriteError| (StatusCode::BAD_REQUEST, e.to_string());
        let decoded = remote_write::decode(protocol, &body).map_err(bad)?;
        let write = decoded.read().map_err(bad)?;
        let counts = (write.samples(), write.histograms, write.exemplars);
        intake
            .accept_remote_write(protocol, &body, &write)
            .map_err(|refusal| match refusal {
                Refusal::Overloaded(..) => (StatusCode::TOO_MANY_REQUESTS, refusal.to_string()),
                Refusal::Log(_) => (StatusCode::INTERNAL_SERVER_ERROR, refusal.to_string()),
            })?;
        Ok(counts)
    })
    .await;
    let (samples, histograms, exemplars) = match accepted {
        Ok(Ok(counts)) => counts,
        Ok(Err((status, reason))) => return refuse(status, reason),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    if histograms > 0 || exemplars > 0 {
        intake::log_line(
            "native histograms and exemplars are not stored yet",
            &format!("{histograms} histogram samples and {exemplars} exemplars left out"),
        );
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if protocol == Protocol::V2 {
        let written = response.headers_mut();
        for (name, count) in [
            ("x-prometheus-remote-write-samples-written", samples),
            ("x-prometheus-remote-write-histograms-written", 0),
            ("x-prometheus-remote-write-exemplars-written", 0),
        ] {
            written.insert(name, count.into());
        }
    }
    response
}
