//! The receivers over real HTTP: remote write in both protocols into a real store, the
//! refusals senders rely on, and the write-ahead log across a crash.

use super::server::TestServer;
use crate::{ReceiveConfig, ServerConfig};
use parquetry::Database;
use parquetry::store::ingest::remote_write::proto::{
    Label, MetadataV2, MetricMetadata, RequestV2, Sample, TimeSeries, TimeSeriesV2, WriteRequest,
};
use prost::Message;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Request headers, name and value.
type Headers = &'static [(&'static str, &'static str)];

const V1: Headers = &[
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "snappy"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];
const V2: Headers = &[
    (
        "Content-Type",
        "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    ),
    ("Content-Encoding", "snappy"),
    ("X-Prometheus-Remote-Write-Version", "2.0.0"),
];
const WRITTEN: &[&str] = &[
    "x-prometheus-remote-write-samples-written",
    "x-prometheus-remote-write-histograms-written",
];

/// A message encoded and snappy-compressed, as remote write sends it.
pub(super) fn snappy(message: &impl Message) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(&message.encode_to_vec())
        .unwrap()
}

/// `up{job=<job>}` with a sample every 15 s from `from` ms, `count` of them.
pub(super) fn up_request(job: &str, from: i64, count: i64) -> WriteRequest {
    let label = |name: &str, value: &str| Label {
        name: name.into(),
        value: value.into(),
    };
    WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![label("__name__", "up"), label("job", job)],
            samples: (0..count)
                .map(|i| Sample {
                    value: 1.0,
                    timestamp: from + i * 15_000,
                })
                .collect(),
            exemplars: Vec::new(),
            histograms: Vec::new(),
        }],
        metadata: vec![MetricMetadata {
            kind: 2,
            metric_family_name: "up".into(),
            help: "Whether the target is up.".into(),
            unit: String::new(),
        }],
    }
}

/// A store in `dir` and a receiving server's settings: commits every `flush`, 429
/// past `max_pending` waiting.
pub(super) fn receiving(dir: &Path, flush: Duration, max_pending: usize) -> (PathBuf, ServerConfig) {
    let store = dir.join("store");
    Database::create(&store).unwrap();
    let config = ServerConfig {
        receive: Some(ReceiveConfig {
            flush_interval: flush,
            max_pending_samples: max_pending,
            ..ReceiveConfig::new(dir.join("wal"))
        }),
        ..ServerConfig::default()
    };
    (store, config)
}

/// Samples of `up` in the store.
pub(super) fn count_up(store: &Path) -> usize {
    let db = Database::open(store).unwrap();
    let engine = db.snapshot();
    let series = engine.raw_samples("up", i64::MIN, i64::MAX).unwrap();
    series.iter().map(|b| b.len()).sum()
}

#[test]
fn remote_write_in_both_protocols_lands_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = receiving(dir.path(), Duration::from_millis(50), 1_000_000);
    let server = TestServer::start(&store, config);
    let (status, _, text) = server.post_bytes("/api/v1/write", V1, &snappy(&up_request("a", 0, 20)), &[]);
    assert_eq!(status, 204, "{text}");
    let v2 = RequestV2 {
        symbols: ["", "__name__", "up", "job", "b", "Up."]
            .map(String::from)
            .to_vec(),
        timeseries: vec![TimeSeriesV2 {
            labels_refs: vec![1, 2, 3, 4],
            samples: vec![Sample {
                value: 0.0,
                timestamp: 285_000,
            }],
            histograms: Vec::new(),
            exemplars: Vec::new(),
            metadata: Some(MetadataV2 {
                kind: 2,
                help_ref: 5,
                unit_ref: 0,
            }),
        }],
    };
    let (status, written, _) = server.post_bytes("/api/v1/write", V2, &snappy(&v2), WRITTEN);
    assert_eq!(status, 204);
    assert_eq!(written, [Some("1".to_string()), Some("0".to_string())]);
    // The flush interval is short: the data is queryable once the commit lands.
    let mut answer = serde_json::Value::Null;
    for _ in 0..100 {
        answer = server
            .get("/api/v1/query?query=sum%20by%20(job)%20(up)&time=285")
            .1;
        if answer["data"]["result"].as_array().is_some_and(|r| r.len() == 2) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        answer["data"]["result"],
        serde_json::json!([
            {"metric": {"job": "a"}, "value": [285, "1"]},
            {"metric": {"job": "b"}, "value": [285, "0"]},
        ])
    );
    let (_, metadata) = server.get("/api/v1/metadata?metric=up");
    assert_eq!(
        metadata["data"]["up"],
        serde_json::json!([
            {"type": "gauge", "help": "Whether the target is up.", "unit": ""},
            {"type": "gauge", "help": "Up.", "unit": ""},
        ])
    );
}

#[test]
fn bad_writes_are_refused_with_the_protocol_status_and_nothing_lands() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = receiving(dir.path(), Duration::from_secs(3600), 30);
    let server = TestServer::start(&store, config);
    let mut unsorted = up_request("a", 0, 1);
    unsorted.timeseries[0].labels.reverse();
    let mut two = up_request("a", 0, 1);
    two.timeseries.push(unsorted.timeseries[0].clone());
    let cases: Vec<(Headers, Vec<u8>, u16, &str)> = vec![
        (V1, b"plain bytes".to_vec(), 400, "not snappy"),
        (
            V1,
            snap::raw::Encoder::new().compress_vec(b"\xff\xff").unwrap(),
            400,
            "does not decode",
        ),
        (V1, snappy(&two), 400, "not sorted"),
        (
            &[("Content-Type", "application/json")],
            snappy(&up_request("a", 0, 1)),
            415,
            "unsupported content type",
        ),
        (
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "gzip"),
            ],
            snappy(&up_request("a", 0, 1)),
            415,
            "unsupported compression",
        ),
    ];
    for (headers, body, want, reason) in cases {
        let (status, _, text) = server.post_bytes("/api/v1/write", headers, &body, &[]);
        assert_eq!(status, want, "{reason}: {text}");
        assert!(text.contains(reason), "{reason}: {text}");
    }
    // The first request fills the buffer past its bound; the next is shed until a commit.
    assert_eq!(
        server
            .post_bytes("/api/v1/write", V1, &snappy(&up_request("a", 0, 40)), &[])
            .0,
        204
    );
    let (status, _, text) = server.post_bytes("/api/v1/write", V1, &snappy(&up_request("b", 0, 1)), &[]);
    assert_eq!(status, 429, "{text}");
    drop(server);
    assert_eq!(
        count_up(&store),
        40,
        "only the accepted request, committed at shutdown"
    );
}
