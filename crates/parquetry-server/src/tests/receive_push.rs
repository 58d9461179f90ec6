//! Loki push and OTLP/HTTP over real HTTP into a real store: every encoding the
//! senders use, the refusals they rely on; and the write-ahead log across a crash with
//! every payload in it, remote write included.

use super::receive::{count_up, receiving, snappy, up_request};
use super::server::TestServer;
use crate::receive::intake::Intake;
use crate::receive::loki_push::{EntryProto, LabelPair, PushRequest, StreamProto, TimestampProto};
use crate::receive::otlp::RpcStatus;
use crate::receive::payload::{OtlpEncoding, Payload};
use parquetry::Database;
use parquetry::logs::ingest::otlp_proto::{LogRecordProto, LogsDataProto, ResourceLogsProto, ScopeLogsProto};
use parquetry::model::otlp_proto::{AnyValueProto, KeyValue, Kind, ResourceProto};
use parquetry::store::ingest::remote_write::Protocol;
use prost::Message;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const T0: i64 = 1_767_225_600_000_000_000;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn push_json(app: &str, lines: usize) -> String {
    let values: Vec<String> = (0..lines)
        .map(|i| format!(r#"["{}","{app} line {i}"]"#, T0 + i as i64))
        .collect();
    format!(
        r#"{{"streams":[{{"stream":{{"app":"{app}"}},"values":[{}]}}]}}"#,
        values.join(",")
    )
}

fn push_protobuf(app: &str, lines: usize) -> Vec<u8> {
    let request = PushRequest {
        streams: vec![StreamProto {
            labels: format!(r#"{{app="{app}", env="prod"}}"#),
            entries: (0..lines)
                .map(|i| EntryProto {
                    timestamp: Some(TimestampProto {
                        seconds: T0 / 1_000_000_000,
                        nanos: i as i32,
                    }),
                    line: format!("{app} line {i}"),
                    structured_metadata: vec![LabelPair {
                        name: "trace_id".into(),
                        value: "0af7651916cd43dd8448eb211c80319c".into(),
                    }],
                })
                .collect(),
            hash: 0,
        }],
    };
    snap::raw::Encoder::new()
        .compress_vec(&request.encode_to_vec())
        .unwrap()
}

fn text(s: &str) -> Option<AnyValueProto> {
    Some(AnyValueProto {
        value: Some(Kind::String(s.to_string())),
    })
}

fn otlp_logs_protobuf(service: &str, records: usize) -> Vec<u8> {
    LogsDataProto {
        resource_logs: vec![ResourceLogsProto {
            resource: Some(ResourceProto {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: text(service),
                }],
                dropped_attributes_count: 0,
            }),
            scope_logs: vec![ScopeLogsProto {
                scope: None,
                log_records: (0..records)
                    .map(|i| LogRecordProto {
                        time_unix_nano: (T0 + i as i64) as u64,
                        severity_text: "INFO".into(),
                        body: text(&format!("{service} record {i}")),
                        ..LogRecordProto::default()
                    })
                    .collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
    .encode_to_vec()
}

fn otlp_logs_json(service: &str) -> String {
    format!(
        r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeLogs":[{{"logRecords":[{{"timeUnixNano":"{T0}","body":{{"stringValue":"{service} record"}}}}]}}]}}]}}"#
    )
}

/// A trace of `spans` spans (ids from `trace`), as OTLP/JSON.
fn otlp_traces_json(trace: u8, spans: u8) -> String {
    let spans: Vec<String> = (1..=spans)
        .map(|s| {
            format!(
                r#"{{"traceId":"{trace:032x}","spanId":"{s:016x}","name":"op {s}","kind":2,"startTimeUnixNano":"{T0}","endTimeUnixNano":"{}"}}"#,
                T0 + 1_000_000
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"shop"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

fn otlp_traces_protobuf(trace: u8, spans: u8) -> Vec<u8> {
    let data = serde_json::from_str(&otlp_traces_json(trace, spans)).unwrap();
    let spans = parquetry::spans::otlp_json::spans_of(data).unwrap();
    parquetry::spans::otlp_proto::traces_data(&spans).encode_to_vec()
}

/// Log entries and spans in the store.
fn counts(store: &Path) -> (u64, u64) {
    let stats = Database::open(store).unwrap().stats().unwrap();
    (stats.logs.entries, stats.spans.spans)
}

/// Request headers, name and value.
type Headers = &'static [(&'static str, &'static str)];

const JSON: Headers = &[("Content-Type", "application/json")];
const PROTOBUF: Headers = &[("Content-Type", "application/x-protobuf")];
const JSON_GZIP: Headers = &[("Content-Type", "application/json"), ("Content-Encoding", "gzip")];
const PROTOBUF_GZIP: Headers = &[
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "gzip"),
];

#[test]
fn pushed_logs_and_exported_spans_land_in_every_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = receiving(dir.path(), Duration::from_secs(3600), 1_000_000);
    let server = TestServer::start(&store, config);
    let loki: Vec<(Headers, Vec<u8>)> = vec![
        (JSON, push_json("json", 3).into_bytes()),
        (JSON_GZIP, gzip(push_json("gzipped", 2).as_bytes())),
        (PROTOBUF, push_protobuf("proto", 4)),
        (&[], push_protobuf("untyped", 1)),
    ];
    for (headers, body) in loki {
        let (status, _, text) = server.post_bytes("/loki/api/v1/push", headers, &body, &[]);
        assert_eq!(status, 204, "{headers:?}: {text}");
    }
    let otlp: Vec<(&str, Headers, Vec<u8>, &str)> = vec![
        ("/v1/logs", PROTOBUF, otlp_logs_protobuf("api", 5), ""),
        (
            "/v1/logs",
            JSON_GZIP,
            gzip(otlp_logs_json("web").as_bytes()),
            "{}",
        ),
        ("/v1/traces", PROTOBUF_GZIP, gzip(&otlp_traces_protobuf(1, 3)), ""),
        ("/v1/traces", JSON, otlp_traces_json(2, 2).into_bytes(), "{}"),
    ];
    for (path, headers, body, answer) in otlp {
        let (status, content_type, text) = server.post_bytes(path, headers, &body, &["content-type"]);
        assert_eq!(status, 200, "{path} {headers:?}: {text}");
        assert_eq!(
            content_type[0].as_deref(),
            Some(headers[0].1),
            "answered in the request's encoding"
        );
        assert_eq!(text, answer);
    }
    drop(server);
    assert_eq!(counts(&store), (3 + 2 + 4 + 1 + 5 + 1, 3 + 2));
    let engine = Database::open(&store).unwrap().snapshot();
    let logs = engine.logs().unwrap();
    let streams = logs.streams();
    let mut labels: Vec<String> = streams.iter().map(|s| s.labels.to_string()).collect();
    labels.sort();
    assert_eq!(
        labels,
        [
            r#"{app="gzipped"}"#,
            r#"{app="json"}"#,
            r#"{app="proto", env="prod"}"#,
            r#"{app="untyped", env="prod"}"#,
            r#"{service_name="api"}"#,
            r#"{service_name="web"}"#,
        ]
    );
    assert_eq!(engine.trace(&format!("{:032x}", 1)).unwrap().len(), 3);
}

#[test]
fn bad_pushes_and_exports_are_refused_whole_with_the_status_senders_expect() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = receiving(dir.path(), Duration::from_secs(3600), 1_000_000);
    let server = TestServer::start(&store, config);
    let half_bad = r#"{"streams":[{"stream":{"app":"a"},"values":[["1","kept?"]]},{"stream":{"app":"b"},"values":[["x","bad time"]]}]}"#;
    let cases: Vec<(&str, Headers, Vec<u8>, u16, &str)> = vec![
        (
            "/loki/api/v1/push",
            JSON,
            b"{\"streams\":".to_vec(),
            400,
            "malformed Loki push body",
        ),
        (
            "/loki/api/v1/push",
            JSON,
            half_bad.as_bytes().to_vec(),
            400,
            "not a timestamp",
        ),
        (
            "/loki/api/v1/push",
            JSON,
            br#"{"streams":[{"stream":{"a-b":"1"},"values":[["1","x"]]}]}"#.to_vec(),
            400,
            "not a valid label name",
        ),
        (
            "/loki/api/v1/push",
            PROTOBUF,
            b"not snappy".to_vec(),
            400,
            "not snappy-compressed",
        ),
        (
            "/loki/api/v1/push",
            &[("Content-Type", "text/plain")],
            b"x".to_vec(),
            415,
            "unsupported content type",
        ),
        (
            "/loki/api/v1/push",
            JSON_GZIP,
            b"not gzip".to_vec(),
            400,
            "not valid gzip",
        ),
        (
            "/v1/logs",
            JSON,
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"no time"}}]}]}]}"#
                .to_vec(),
            400,
            "timeUnixNano",
        ),
        (
            "/v1/traces",
            JSON,
            otlp_traces_json(0, 1).into_bytes(),
            400,
            "trace id",
        ),
        (
            "/v1/traces",
            &[("Content-Type", "application/grpc")],
            b"x".to_vec(),
            415,
            "unsupported content type",
        ),
        (
            "/v1/logs",
            &[("Content-Type", "application/json"), ("Content-Encoding", "br")],
            b"x".to_vec(),
            415,
            "unsupported Content-Encoding",
        ),
    ];
    for (path, headers, body, want, reason) in cases {
        let (status, _, text) = server.post_bytes(path, headers, &body, &[]);
        assert_eq!(status, want, "{path} {reason}: {text}");
        assert!(text.contains(reason), "{path} {reason}: {text}");
        if path.starts_with("/v1/") && want == 400 {
            let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                answer["code"], 3,
                "a google.rpc.Status with INVALID_ARGUMENT: {text}"
            );
        }
    }
    let agent = TestServer::agent();
    let mut response = agent
        .post(format!("{}/v1/traces", server.url))
        .header("Content-Type", "application/x-protobuf")
        .send(&b"\xff\xff\xff"[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let status = RpcStatus::decode(response.body_mut().read_to_vec().unwrap().as_slice()).unwrap();
    assert_eq!(status.code, 3);
    assert!(status.message.contains("TracesData"), "{}", status.message);
    drop(server);
    assert_eq!(counts(&store), (0, 0), "nothing of a refused body lands");
}

#[test]
fn a_crash_keeps_every_signal_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = receiving(dir.path(), Duration::from_secs(3600), 1_000_000);
    let receive = config.receive.unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let db = Arc::new(Database::open(&store).unwrap());
    let intake = Intake::start(db.clone(), receive.clone()).unwrap();
    let raw_push = snap::raw::Decoder::new()
        .decompress_vec(&push_protobuf("a", 4))
        .unwrap();
    let requests: Vec<(Payload, Vec<u8>)> = vec![
        (
            Payload::RemoteWrite(Protocol::V1),
            snappy(&up_request("a", 0, 10)),
        ),
        (
            Payload::RemoteWrite(Protocol::V1),
            snappy(&up_request("b", 0, 10)),
        ),
        (Payload::LokiPushJson, push_json("b", 2).into_bytes()),
        (Payload::LokiPushProtobuf, raw_push),
        (
            Payload::OtlpLogs(OtlpEncoding::Protobuf),
            otlp_logs_protobuf("api", 3),
        ),
        (
            Payload::OtlpLogs(OtlpEncoding::Json),
            otlp_logs_json("web").into_bytes(),
        ),
        (
            Payload::OtlpTraces(OtlpEncoding::Protobuf),
            otlp_traces_protobuf(1, 3),
        ),
        (
            Payload::OtlpTraces(OtlpEncoding::Json),
            otlp_traces_json(2, 4).into_bytes(),
        ),
    ];
    for (payload, body) in &requests {
        intake.accept(*payload, body).unwrap();
    }
    // A crash: the process ends without its commit (no drop, no flush).
    intake.crash();
    assert_eq!((count_up(&store), counts(&store)), (0, (0, 0)));
    let restarted = Intake::start(db, receive.clone()).unwrap();
    let all = (20, (2 + 4 + 3 + 1, 3 + 4));
    assert_eq!(
        (count_up(&store), counts(&store)),
        all,
        "replayed and committed at start"
    );
    drop(restarted);
    drop(Intake::start(Arc::new(Database::open(&store).unwrap()), receive).unwrap());
    assert_eq!(
        (count_up(&store), counts(&store)),
        all,
        "a committed log is not replayed twice"
    );
}

#[test]
fn otlp_metrics_land_as_prometheus_names_them_and_left_out_points_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = receiving(dir.path(), Duration::from_millis(50), 1_000_000);
    let server = TestServer::start(&store, config);
    let t = T0 as u64;
    let body = format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"api"}}}},{{"key":"host.name","value":{{"stringValue":"n1"}}}}]}},"scopeMetrics":[{{"metrics":[
        {{"name":"http.server.requests","unit":"{{request}}","description":"Requests served.","sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{{"timeUnixNano":"{t}","asInt":"42","attributes":[{{"key":"http.route","value":{{"stringValue":"/a"}}}}]}}]}}}},
        {{"name":"jobs","sum":{{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{{"timeUnixNano":"{t}","asInt":"1"}}]}}}}
        ]}}]}}]}}"#
    );
    for path in ["/v1/metrics", "/api/v1/otlp/v1/metrics"] {
        let (status, _, text) = server.post_bytes(path, JSON, body.as_bytes(), &[]);
        assert_eq!(status, 200, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["partialSuccess"]["rejectedDataPoints"], "1", "{text}");
        assert!(
            answer["partialSuccess"]["errorMessage"]
                .as_str()
                .unwrap()
                .contains("not cumulative")
        );
    }
    let time = T0 / 1_000_000_000;
    let query = format!("/api/v1/query?query=http_server_requests_total&time={time}");
    let mut answer = serde_json::Value::Null;
    for _ in 0..100 {
        answer = server.get(&query).1;
        if answer["data"]["result"].as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        answer["data"]["result"],
        serde_json::json!([{
            "metric": {"__name__": "http_server_requests_total", "http_route": "/a", "job": "api"},
            "value": [time, "42"]
        }])
    );
    let info = server
        .get(&format!("/api/v1/query?query=target_info&time={time}"))
        .1;
    assert_eq!(info["data"]["result"][0]["metric"]["host_name"], "n1");
    let (_, metadata) = server.get("/api/v1/metadata?metric=http_server_requests_total");
    assert_eq!(
        metadata["data"]["http_server_requests_total"][0],
        serde_json::json!({"type": "counter", "help": "Requests served.", "unit": ""})
    );
}

#[test]
fn past_the_bound_on_waiting_bytes_exports_are_shed_with_429_and_a_status() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut config) = receiving(dir.path(), Duration::from_secs(3600), 1_000_000);
    if let Some(receive) = config.receive.as_mut() {
        receive.max_pending_bytes = 2048;
    }
    let server = TestServer::start(&store, config);
    let big = otlp_traces_json(1, 20);
    assert!(big.len() > 2048);
    let (status, _, text) = server.post_bytes("/v1/traces", JSON, big.as_bytes(), &[]);
    assert_eq!(
        status, 200,
        "the first request is taken whatever its size: {text}"
    );
    let (status, _, text) = server.post_bytes("/v1/traces", JSON, otlp_traces_json(2, 1).as_bytes(), &[]);
    assert_eq!(status, 429, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["code"], 8, "RESOURCE_EXHAUSTED: {text}");
    assert!(text.contains("bytes of requests"), "{text}");
    drop(server);
    assert_eq!(
        counts(&store),
        (0, 20),
        "only the accepted request, committed at shutdown"
    );
}
