//! Ingest end to end: every format into a store, read back, and the failures.

use super::entry_batch::PushedEntry;
use super::*;
use crate::entry::StreamEntries;
use crate::export::{LogExportFormat, export_logs};
use crate::read::{LogQuery, LogStore};
use parquetry_model::{Labels, Matcher};
use proptest::prelude::*;

fn store() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path());
    (dir, storage)
}

fn ingest(storage: &Storage, text: &str, options: &LogIngestOptions) -> Result<LogIngestReport, IngestError> {
    ingest_log_bytes(storage, Path::new("in.log"), text.as_bytes(), options)
}

fn all(storage: &Storage) -> Vec<StreamEntries> {
    LogStore::open(storage)
        .unwrap()
        .read(&LogQuery::default())
        .unwrap()
}

fn plain(labels: &[(&str, &str)]) -> LogIngestOptions {
    LogIngestOptions {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LogIngestOptions::default()
    }
}

#[test]
fn loki_push_bodies_per_line_or_pretty_printed() {
    let (_d, storage) = store();
    let lines = concat!(
        r#"{"streams":[{"stream":{"app":"api","env":"prod"},"values":[["1767323045000000002","b"],["1767323045000000001","a",{"trace_id":"t1","user":"u"}]]}]}"#,
        "\n",
        r#"{"streams":[{"stream":{"app":"api","env":"prod"},"values":[["1767323045000000001","a"]]}]}"#,
        "\n"
    );
    let report = ingest(&storage, lines, &LogIngestOptions::default()).unwrap();
    assert_eq!((report.entries, report.duplicates, report.streams), (2, 1, 1));
    let got = all(&storage);
    assert_eq!(got[0].labels.get("app"), Some("api"));
    let e = &got[0].entries[0];
    assert_eq!((e.line.as_str(), e.trace_id.as_deref()), ("a", Some("t1")));
    assert_eq!(
        e.metadata,
        [
            ("trace_id".to_string(), "t1".to_string()),
            ("user".to_string(), "u".to_string())
        ]
    );

    let (_d, storage) = store();
    let pretty = "{\n  \"streams\": [\n    {\"stream\": {\"app\": \"x\"},\n     \"values\": [[\"5\", \"hello\"]]}\n  ]\n}\n";
    ingest(&storage, pretty, &LogIngestOptions::default()).unwrap();
    assert_eq!(all(&storage)[0].entries[0].line, "hello");
}

#[test]
fn otlp_json_lines_become_streams_by_service() {
    let (_d, storage) = store();
    let line = |service: &str, t: u64, body: &str| {
        format!(
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeLogs":[{{"logRecords":[{{"timeUnixNano":"{t}","severityText":"INFO","body":{{"stringValue":"{body}"}},"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"}}]}}]}}]}}"#
        )
    };
    let text = format!(
        "{}\n{}\n{}\n",
        line("checkout", 10, "one"),
        line("cart", 20, "two"),
        line("checkout", 30, "three")
    );
    ingest(&storage, &text, &LogIngestOptions::default()).unwrap();
    let store = LogStore::open(&storage).unwrap();
    let q = LogQuery {
        matchers: vec![Matcher::equal("service_name", "checkout")],
        ..LogQuery::default()
    };
    let got = store.read(&q).unwrap();
    let lines: Vec<&str> = got[0].entries.iter().map(|e| e.line.as_str()).collect();
    assert_eq!(lines, ["one", "three"]);
    let e = &got[0].entries[0];
    assert_eq!(e.severity.as_deref(), Some("INFO"));
    // The trace id is stored once but read back in the metadata as Loki has it.
    assert!(e.metadata.contains(&(
        "trace_id".to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736".to_string()
    )));
}

#[test]
fn plain_files_take_their_labels_and_times_from_options_and_lines() {
    let (_d, storage) = store();
    let text = concat!(
        r#"{"level":"info","time":1767323045000,"msg":"GET /x","requestId":"r1","traceId":"abc"}"#,
        "\n\n",
        r#"{"level":"error","time":1767323046000,"msg":"boom","err":{"type":"Error","stack":"at x"}}"#,
        "\n"
    );
    let mut options = plain(&[("service", "api"), ("env", "prod")]);
    options.detected_level = true;
    options.service_name = true;
    let report = ingest(&storage, text, &options).unwrap();
    assert_eq!(report.entries, 2);
    let got = all(&storage);
    assert_eq!(got[0].labels.get("service_name"), Some("api"));
    let e = &got[0].entries;
    assert_eq!(e[0].trace_id.as_deref(), Some("abc"));
    assert_eq!(e[1].severity.as_deref(), Some("error"));
    assert_eq!(
        e[1].metadata,
        [("detected_level".to_string(), "error".to_string())]
    );

    let (_d, storage) = store();
    ingest(
        &storage,
        "ts=2026-01-02T03:04:05Z level=info path=/x status=200\n",
        &plain(&[("app", "proxy")]),
    )
    .unwrap();
    assert_eq!(all(&storage)[0].entries[0].timestamp, 1_767_323_045_000_000_000);
}

#[test]
fn bad_input_names_the_line_and_commits_nothing() {
    let (_d, storage) = store();
    let text = "{\"time\":1767323045000,\"msg\":\"ok\"}\n{\"time\":1767323045001,\"msg\":}\n";
    let err = ingest(&storage, text, &plain(&[("app", "x")]))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("in.log:2:"), "{err}");
    assert!(
        LogStore::open(&storage)
            .map(|s| s.streams().is_empty())
            .unwrap_or(true)
    );

    let bad_label = r#"{"streams":[{"stream":{"bad-name":"x"},"values":[["1","a"]]}]}"#;
    let err = ingest(&storage, bad_label, &LogIngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("in.log:1:") && err.contains("not a valid label name"),
        "{err}"
    );
    let bad_time = r#"{"streams":[{"stream":{"a":"x"},"values":[["99999999999999999999","a"]]}]}"#;
    let err = ingest(&storage, bad_time, &LogIngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("out of range"), "{err}");
    let err = ingest(
        &storage,
        "2026-01-02T03:04:05Z ok\n",
        &LogIngestOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--label"), "{err}");

    let mut bytes = b"2026-01-02T03:04:05Z ok\n2026-01-02T03:04:06Z caf".to_vec();
    bytes.extend_from_slice(b"\xe9\n2026-01-02T03:04:07Z fine\n");
    let mut options = plain(&[("app", "x")]);
    let err = ingest_log_bytes(&storage, Path::new("in.log"), &bytes, &options)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "in.log:2:25: invalid UTF-8");
    options.skip_invalid = true;
    let report = ingest_log_bytes(&storage, Path::new("in.log"), &bytes, &options).unwrap();
    assert_eq!((report.entries, report.skipped_lines), (2, 1));
}

#[test]
fn detection_by_content() {
    assert_eq!(LogFormat::detect(r#"{"streams":[]}"#), LogFormat::LokiPush);
    assert_eq!(LogFormat::detect(r#"{"resourceLogs":[]}"#), LogFormat::OtlpJson);
    assert_eq!(
        LogFormat::detect(r#"{"labels":{"a":"b"},"timestamp":"1"}"#),
        LogFormat::Entries
    );
    assert_eq!(LogFormat::detect(r#"{"level":30}"#), LogFormat::Json);
    assert_eq!(LogFormat::detect("level=info msg=hi"), LogFormat::Logfmt);
    assert_eq!(LogFormat::detect("GC pause 12ms"), LogFormat::Text);
    // A multi-byte character across the inspected head is no problem.
    let long = format!("{{\"msg\":\"{}é\"}}", "x".repeat(248));
    assert_eq!(LogFormat::detect(&long), LogFormat::Json);
}

fn export(storage: &Storage, format: LogExportFormat) -> String {
    let mut out = Vec::new();
    let store = LogStore::open(storage).unwrap();
    export_logs(&store, &LogQuery::default(), format, &mut out, Path::new("out")).unwrap();
    String::from_utf8(out).unwrap()
}

fn entry_strategy() -> impl Strategy<Value = (usize, LogEntry)> {
    let text = "[ -~]{0,12}|[a-zé\"\\\\\n\t]{0,6}";
    (
        0usize..3,
        -3i64..3,
        0i64..200_000_000_000_000,
        text,
        proptest::collection::vec(("[a-z_]{1,5}", "[ -~é]{0,5}"), 0..3),
        proptest::option::of("[0-9a-f]{4}"),
        proptest::option::of("[0-9a-f]{2}"),
        proptest::option::of("[A-Za-z]{1,5}"),
        proptest::option::of(1i32..25),
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(stream, day, t, text, metadata, trace_id, span_id, severity, severity_number, in_line)| {
                let timestamp = day * 86_400_000_000_000 + t % 86_400_000_000_000 + 1_767_225_600_000_000_000;
                // Ids that the line carries too are stored by their place in it.
                let mut line = text;
                for (id, carried) in [(&trace_id, in_line.0), (&span_id, in_line.1)] {
                    if let (Some(id), true) = (id, carried) {
                        line = format!("{line} id={id}é");
                    }
                }
                (
                    stream,
                    LogEntry {
                        timestamp,
                        line,
                        metadata,
                        trace_id,
                        span_id,
                        severity,
                        severity_number,
                    },
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn ingest_export_ingest_is_lossless(entries in proptest::collection::vec(entry_strategy(), 1..40)) {
        let (_d, first) = store();
        let mut w = LogsWriter::begin(&first).unwrap();
        let mut streams: Vec<StreamEntries> = ["a", "b", "c"]
            .iter()
            .map(|v| StreamEntries::new(Labels::from_pairs([("app", *v), ("env", "prod")])))
            .collect();
        for (s, e) in entries {
            streams[s].entries.push(e);
        }
        let mut written = streams.clone();
        w.write(streams).unwrap();
        w.commit().unwrap();
        let original = all(&first);
        written.retain(|s| !s.entries.is_empty());
        for s in &mut written {
            s.sort_and_dedup();
        }
        prop_assert_eq!(&original, &written);
        for format in [LogExportFormat::Jsonl, LogExportFormat::LokiPush] {
            let text = export(&first, format);
            let (_d2, second) = store();
            if !text.is_empty() {
                ingest(&second, &text, &LogIngestOptions::default()).unwrap();
            }
            let again = if text.is_empty() { Vec::new() } else { all(&second) };
            if format == LogExportFormat::Jsonl {
                prop_assert_eq!(&again, &original);
            } else {
                // A push body carries labels, time, line and structured metadata.
                let strip = |s: &[StreamEntries]| -> Vec<(String, Vec<PushedEntry>)> {
                    s.iter()
                        .map(|s| {
                            let entries = s.entries.iter().map(|e| (e.timestamp, e.line.clone(), e.metadata.clone())).collect();
                            (format!("{:?}", s.labels), entries)
                        })
                        .collect()
                };
                prop_assert_eq!(strip(&again), strip(&original));
            }
        }
    }
}

#[test]
fn multiline_text_entries_keep_their_continuation_lines() {
    let text = "2026-01-05T00:00:01Z ERROR payment failed\njava.lang.IllegalStateException: boom\n    at com.shop.Pay.run(Pay.java:42)\n\n2026-01-05T00:00:02Z INFO recovered\n";
    let (_d, storage) = store();
    let err = ingest(&storage, text, &plain(&[("app", "pay")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("in.log:2:1: no timestamp"), "{err}");
    let options = LogIngestOptions {
        multiline: true,
        ..plain(&[("app", "pay")])
    };
    let report = ingest(&storage, text, &options).unwrap();
    assert_eq!(report.entries, 2);
    let lines: Vec<String> = all(&storage)[0].entries.iter().map(|e| e.line.clone()).collect();
    assert_eq!(
        lines,
        [
            "2026-01-05T00:00:01Z ERROR payment failed\njava.lang.IllegalStateException: boom\n    at com.shop.Pay.run(Pay.java:42)",
            "2026-01-05T00:00:02Z INFO recovered",
        ]
    );
    // A continuation with nothing before it is still an error.
    let (_d2, other) = store();
    let err = ingest(&other, "    at nowhere\n2026-01-05T00:00:02Z INFO x\n", &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("in.log:1:1: no timestamp"), "{err}");
}
