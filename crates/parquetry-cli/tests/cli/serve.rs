//! `parquetry serve` as a process: samples, log lines and spans acknowledged before a
//! `kill -9` are all there after a restart, once; and a second server on the same
//! write-ahead log is refused.

use parquetry::store::ingest::remote_write::proto::{Label, Sample, TimeSeries, WriteRequest};
use prost::Message;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A running `parquetry serve` and its address.
struct Served {
    child: Child,
    url: String,
}

/// Starts the server over `store` with the receivers' log in `wal`, flushing only after
/// an hour, and waits until it listens.
fn serve(store: &Path, wal: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parquetry"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--write.flush-interval",
            "1h",
            "--store",
        ])
        .arg(store)
        .arg("--wal-dir")
        .arg(wal)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the server says where it listens").unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };
    // Keep reading the request log so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Served { child, url }
}

/// Request `n`: series `up{request="n"}` with ten samples.
fn request(n: usize) -> Vec<u8> {
    let label = |name: &str, value: &str| Label {
        name: name.into(),
        value: value.into(),
    };
    let message = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![label("__name__", "up"), label("request", &n.to_string())],
            samples: (0..10)
                .map(|i| Sample {
                    value: i as f64,
                    timestamp: 1_767_571_200_000 + i * 15_000,
                })
                .collect(),
            exemplars: Vec::new(),
            histograms: Vec::new(),
        }],
        metadata: Vec::new(),
    };
    snap::raw::Encoder::new()
        .compress_vec(&message.encode_to_vec())
        .unwrap()
}

/// Request `n` to Loki's push API: stream `{job="crash", request="n"}` with ten lines.
fn push(n: usize) -> String {
    let values: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"["{}","line {i}"]"#,
                1_767_571_200_000_000_000_i64 + i * 1_000_000_000
            )
        })
        .collect();
    format!(
        r#"{{"streams":[{{"stream":{{"job":"crash","request":"{n}"}},"values":[{}]}}]}}"#,
        values.join(",")
    )
}

/// The trace id of OTLP request `n`.
fn trace_id(n: usize) -> String {
    format!("{:032x}", n + 1)
}

/// Request `n` to OTLP's traces endpoint: a trace of three spans.
fn export(n: usize) -> String {
    let spans: Vec<String> = (1..=3)
        .map(|s| {
            format!(
                r#"{{"traceId":"{}","spanId":"{s:016x}","name":"op","startTimeUnixNano":"1767571200000000000","endTimeUnixNano":"1767571201000000000"}}"#,
                trace_id(n)
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

/// Posts `body` to `path` with the headers; the status, or an error when the server is
/// gone.
fn post(url: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<u16, ureq::Error> {
    let mut request = ureq::post(format!("{url}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Ok(request.send(body)?.status().as_u16())
}

/// Sends request after request with `send` (true when acknowledged) until `stop` or a
/// refusal; counts the acknowledged ones in `acknowledged`.
fn sender(
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicUsize>,
    send: impl Fn(usize) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for n in 0.. {
            if stop.load(Ordering::SeqCst) || !send(n) {
                return;
            }
            acknowledged.store(n + 1, Ordering::SeqCst);
        }
    })
}

/// True when `count` is what `acked` requests of `each` items make, or one request
/// more (it reached the log just before the kill, and its answer did not reach the
/// sender).
fn all_once(count: usize, acked: usize, each: usize) -> bool {
    count == acked * each || count == (acked + 1) * each
}

#[test]
fn data_acknowledged_before_a_kill_9_survives_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, wal) = (dir.path().join("store"), dir.path().join("wal"));
    let mut server = serve(&store, &wal);
    let stop = Arc::new(AtomicBool::new(false));
    let counts: [Arc<AtomicUsize>; 3] = Default::default();
    let url = server.url.clone();
    let senders = [
        sender(stop.clone(), counts[0].clone(), {
            let url = url.clone();
            move |n| {
                let headers = [
                    ("Content-Type", "application/x-protobuf"),
                    ("Content-Encoding", "snappy"),
                ];
                matches!(post(&url, "/api/v1/write", &headers, &request(n)), Ok(204))
            }
        }),
        sender(stop.clone(), counts[1].clone(), {
            let url = url.clone();
            move |n| {
                let headers = [("Content-Type", "application/json")];
                matches!(
                    post(&url, "/loki/api/v1/push", &headers, push(n).as_bytes()),
                    Ok(204)
                )
            }
        }),
        sender(stop.clone(), counts[2].clone(), move |n| {
            let headers = [("Content-Type", "application/json")];
            matches!(post(&url, "/v1/traces", &headers, export(n).as_bytes()), Ok(200))
        }),
    ];
    while counts.iter().any(|c| c.load(Ordering::SeqCst) < 30) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SIGKILL while the senders are still writing: no flush, no shutdown.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for s in senders {
        s.join().unwrap();
    }
    let [acked, pushed, exported] = counts.map(|c| c.load(Ordering::SeqCst));

    let mut restarted = serve(&store, &wal);
    let value_of = |expr: &str| -> usize {
        let body = ureq::get(format!("{}/api/v1/query", restarted.url))
            .query("query", expr)
            .query("time", "1767571500")
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        answer["data"]["result"][0]["value"][1]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let series = value_of("count(count_over_time(up[10m]))");
    let samples = value_of("sum(count_over_time(up[10m]))");
    // Every acknowledged request is there, once.
    assert!(
        all_once(series, acked, 1),
        "{series} series for {acked} acknowledged"
    );
    assert_eq!(samples, series * 10, "each request's samples once");
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();

    let db = parquetry::Database::open(&store).unwrap();
    let stats = db.stats().unwrap();
    let engine = db.snapshot();
    let streams = engine.logs().unwrap().streams().len();
    assert!(
        all_once(streams, pushed, 1),
        "{streams} streams for {pushed} acknowledged"
    );
    assert_eq!(
        stats.logs.entries as usize,
        streams * 10,
        "each push's lines once"
    );
    for n in 0..exported {
        assert_eq!(engine.trace(&trace_id(n)).unwrap().len(), 3, "trace {n}");
    }
    assert!(
        all_once(stats.spans.spans as usize, exported, 3),
        "{} spans for {exported} acknowledged traces",
        stats.spans.spans
    );
}

#[test]
fn a_second_server_on_the_same_log_folder_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (store, wal) = (dir.path().join("store"), dir.path().join("wal"));
    let mut first = serve(&store, &wal);
    let second = Command::new(env!("CARGO_BIN_EXE_parquetry"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(&store)
        .arg("--wal-dir")
        .arg(&wal)
        .output()
        .expect("the binary runs");
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second server started: {stderr}");
    assert!(stderr.contains("one server per log folder"), "{stderr}");
}
