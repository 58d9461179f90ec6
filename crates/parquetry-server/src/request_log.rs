//! One JSON line per request on standard error: when, what, how it ended, how long it
//! took.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use parquetry_model::time::format_timestamp;
use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Serves `request` through `next`, then logs
/// `{"ts":…,"method":…,"path":…,"status":…,"duration_ms":…}`.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let line = serde_json::json!({
        "ts": format_timestamp(now_ms()),
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
        "duration_ms": (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
    });
    write_line(&line);
    response
}

/// Writes `line` as one line of JSON on standard error, where the request log goes, in
/// one write: standard error is unbuffered, and formatting straight into it would make a
/// system call of every token, on the way to sending each response.
pub fn write_line(line: &serde_json::Value) {
    let mut text = line.to_string();
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The wall clock, milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
