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
    let store = dir.join("store");
    let values: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            serde_json::json!([
                format!("{}", 1_767_323_040_000_000_000i64 + i * 1_000_000_000),
                format!("line {i}")
            ])
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
