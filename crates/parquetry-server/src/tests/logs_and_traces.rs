//! Loki's and Tempo's APIs over a real store: the status codes and plain-text bodies
//! of their errors. (The Python suite drives both APIs with `requests` and compares
//! their answers with the command line's.)

use super::server::TestServer;
use crate::ServerConfig;
use parquetry::Database;
use parquetry::logs::ingest::LogIngestOptions;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A store with one stream of ten lines, one a second from 2026-01-02T03:04:00Z.
fn logs(dir: &Path) -> PathBuf {
    logs_with_metadata(dir, false)
}

/// [`logs`], each line `level=… n=…` with its own `trace_id` as structured metadata when
/// `metadata` is set.
fn logs_with_metadata(dir: &Path, metadata: bool) -> PathBuf {
    let store = dir.join("store");
    let values: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            let time = format!("{}", 1_767_323_040_000_000_000i64 + i * 1_000_000_000);
            if metadata {
                serde_json::json!([time, format!("level=info n={i}"), {"trace_id": format!("t{i}")}])
            } else {
                serde_json::json!([time, format!("line {i}")])
            }
        })
        .collect();
    let push = serde_json::json!({ "streams": [{ "stream": { "app": "api" }, "values": values }] });
    let file = dir.join("push.json");
    std::fs::write(&file, push.to_string()).unwrap();
    Database::create(&store)
        .unwrap()
        .ingest_logs(&[file], &LogIngestOptions::default(), &mut |_| {})
        .unwrap();
    store
}

#[test]
fn loki_answers_lines_and_its_errors_in_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&logs(dir.path()), ServerConfig::default());
    let range = "/loki/api/v1/query_range?query=%7Bapp%3D%22api%22%7D&start=1767323040&end=1767323050&direction=forward";
    let (status, body) = server.get(range);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["result"][0]["values"][0][1], "line 0");
    assert_eq!(body["data"]["result"][0]["values"].as_array().unwrap().len(), 10);

    let (status, _, text) = server.get_with("/loki/api/v1/query_range?query=%7Bapp%3D", &[]);
    assert_eq!(status, 400);
    assert!(text.starts_with("parse error at line 1, col "), "{text}");
    let (status, _, text) = server.get_with("/loki/api/v1/query?query=%7Bapp%3D%22api%22%7D", &[]);
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            "log queries are not supported as an instant query type, please change your query to a range query type"
        )
    );
}

#[test]
fn loki_categorizes_labels_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&logs_with_metadata(dir.path(), true), ServerConfig::default());
    let range = "/loki/api/v1/query_range?query=%7Bapp%3D%22api%22%7D%20%7C%20logfmt&start=1767323040&end=1767323050&direction=forward";
    let (_, plain) = server.get(range);
    assert_eq!(plain["data"]["result"].as_array().unwrap().len(), 10);
    assert_eq!(plain["data"].get("encodingFlags"), None);
    let flag = [("X-Loki-Response-Encoding-Flags", "categorize-labels")];
    let (status, _, text) = server.get_with(range, &flag);
    assert_eq!(status, 200, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["data"]["encodingFlags"],
        serde_json::json!(["categorize-labels"])
    );
    let streams = body["data"]["result"].as_array().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["stream"], serde_json::json!({"app": "api"}));
    assert_eq!(
        streams[0]["values"][3],
        serde_json::json!(["1767323043000000000", "level=info n=3",
            {"structuredMetadata": {"trace_id": "t3"}, "parsed": {"level": "info", "n": "3"}}])
    );
}

#[test]
fn loki_and_tempo_past_their_timeout_answer_504() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        query_timeout: Duration::ZERO,
        ..ServerConfig::default()
    };
    let server = TestServer::start(&logs(dir.path()), config);
    let (status, _, text) = server.get_with(
        "/loki/api/v1/query_range?query=%7Bapp%3D%22api%22%7D&start=1767323040&end=1767323050",
        &[],
    );
    assert_eq!(status, 504);
    assert!(text.starts_with("request timed out"), "{text}");
    let (status, _, _) = server.get_with("/api/search?q=%7B%7D", &[]);
    assert_eq!(status, 504);
}

#[test]
fn tempo_says_which_traces_it_has_not_and_which_ids_are_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&logs(dir.path()), ServerConfig::default());
    let (status, _, text) = server.get_with(&format!("/api/traces/{}", "ab".repeat(16)), &[]);
    assert_eq!((status, text.as_str()), (404, "trace not found"));
    let (status, _, _) = server.get_with("/api/v2/traces/xyz", &[]);
    assert_eq!(status, 400);
    let (status, _, text) = server.get_with("/api/echo", &[]);
    assert_eq!((status, text.as_str()), (200, "echo"));
}
