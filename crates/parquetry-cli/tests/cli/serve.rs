//! `parquetry serve` as a process: remote write acknowledged before a `kill -9` is all
//! there after a restart, once.

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

fn post(url: &str, body: &[u8]) -> Result<u16, ureq::Error> {
    let response = ureq::post(format!("{url}/api/v1/write"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .send(body)?;
    Ok(response.status().as_u16())
}

#[test]
fn writes_acknowledged_before_a_kill_9_survive_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, wal) = (dir.path().join("store"), dir.path().join("wal"));
    let mut server = serve(&store, &wal);
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (url, acknowledged, stop) = (server.url.clone(), acknowledged.clone(), stop.clone());
        std::thread::spawn(move || {
            for n in 0.. {
                if stop.load(Ordering::SeqCst) || !matches!(post(&url, &request(n)), Ok(204)) {
                    return;
                }
                acknowledged.store(n + 1, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 50 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SIGKILL while the sender is still writing: no flush, no shutdown.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    sender.join().unwrap();
    let acked = acknowledged.load(Ordering::SeqCst);

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
    // Every acknowledged request is there; one more may be, if it reached the log just
    // before the kill and its answer did not reach the sender.
    assert!(
        series == acked || series == acked + 1,
        "{series} series for {acked} acknowledged"
    );
    assert_eq!(samples, series * 10, "each request's samples once");
    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
}
