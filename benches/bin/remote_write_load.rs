//! Remote write load on loopback: CLIENTS threads send snappy 1.0 requests of SERIES
//! series × one sample each (the shape of a Prometheus shard's batch, 2,000 samples by
//! default) to URL for SECONDS, each waiting for its answer before the next, as a
//! Prometheus shard does. The requests are encoded before the clock starts, each
//! client's series a sample a second apart from five minutes ago on, so that a receiver
//! with Prometheus' rules (in order, not too far in the future) takes every one; a client that used all of its
//! requests stops early, and the rate is over the time the requests took. Prints the samples acknowledged per second and, given the
//! server's PID, its CPU seconds until 7 s after the load (so samples per CPU-second,
//! the commits of what it took included) and peak resident memory.
//! Every request must be acknowledged with a 2xx; any other answer is counted and fails
//! the run.
//!
//! Usage: remote-write-load URL SECONDS CLIENTS [SERIES_PER_REQUEST] [SERVER_PID]

use parquetry::store::ingest::remote_write::proto::{Label, Sample, TimeSeries, WriteRequest};
use parquetry_benches::prometheus_server::peak_rss_kib;
use prost::Message;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long after the load the server's CPU time is read: past `parquetry serve`'s
/// flush interval, so that it counts the commit of the last data.
const SETTLE: Duration = Duration::from_secs(7);

/// Requests each client has ready (their times step a second on each one).
const REQUESTS_PER_CLIENT: usize = 600;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: remote-write-load URL SECONDS CLIENTS [SERIES_PER_REQUEST] [SERVER_PID]");
        return ExitCode::FAILURE;
    }
    let url = format!("{}/api/v1/write", args[1].trim_end_matches('/'));
    let seconds: u64 = args[2].parse().unwrap_or(30);
    let clients: usize = args[3].parse().unwrap_or(8);
    let per_request: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let pid: Option<u32> = args.get(5).and_then(|s| s.parse().ok());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let requests: Vec<Vec<Vec<u8>>> = (0..clients).map(|c| bodies(c, per_request, now_ms)).collect();
    let (acked, refused) = (AtomicU64::new(0), AtomicU64::new(0));
    let cpu_before = pid.map(cpu_seconds).unwrap_or(0.0);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    std::thread::scope(|scope| {
        for mine in &requests {
            let (url, acked, refused) = (&url, &acked, &refused);
            scope.spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for body in mine {
                    if Instant::now() >= until {
                        return;
                    }
                    let answer = agent
                        .post(url)
                        .header("Content-Type", "application/x-protobuf")
                        .header("Content-Encoding", "snappy")
                        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                        .send(body.as_slice());
                    match answer {
                        Ok(r) if r.status().is_success() => {
                            acked.fetch_add(per_request as u64, Ordering::Relaxed);
                        }
                        refusal => {
                            if refused.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("first refusal: {}", describe(refusal));
                            }
                        }
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let samples = acked.load(Ordering::Relaxed);
    println!(
        "{samples} samples acknowledged in {elapsed:.1} s: {:.0} samples/s from {clients} clients",
        samples as f64 / elapsed
    );
    if let Some(pid) = pid {
        // The server's work on what it took ends with its next commit: wait for it.
        std::thread::sleep(SETTLE);
        let cpu = cpu_seconds(pid) - cpu_before;
        println!(
            "server: {cpu:.1} CPU-seconds, {:.0} samples per CPU-second, peak RSS {} MiB",
            samples as f64 / cpu.max(1e-9),
            peak_rss_kib(&format!("/proc/{pid}/status")).unwrap_or(0) / 1024
        );
    }
    let refused = refused.load(Ordering::Relaxed);
    if refused > 0 {
        println!("{refused} requests not acknowledged");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Client `client`'s requests: its own series (`load_metric{client, series}`), one
/// sample each, at a time that steps a second per request from five minutes before
/// `now_ms`.
fn bodies(client: usize, per_request: usize, now_ms: i64) -> Vec<Vec<u8>> {
    let label = |name: &str, value: String| Label {
        name: name.into(),
        value,
    };
    (0..REQUESTS_PER_CLIENT)
        .map(|round| {
            let timestamp = now_ms - 300_000 + round as i64 * 1_000;
            let timeseries = (0..per_request)
                .map(|s| TimeSeries {
                    labels: vec![
                        label("__name__", "load_metric".into()),
                        label("client", client.to_string()),
                        label("series", s.to_string()),
                    ],
                    samples: vec![Sample {
                        value: (round * s) as f64,
                        timestamp,
                    }],
                    exemplars: Vec::new(),
                    histograms: Vec::new(),
                })
                .collect();
            let request = WriteRequest {
                timeseries,
                metadata: Vec::new(),
            };
            snap::raw::Encoder::new()
                .compress_vec(&request.encode_to_vec())
                .expect("snappy compresses any input")
        })
        .collect()
}

/// A refusal's status and body, or the transport error.
fn describe(answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> String {
    match answer {
        Ok(mut r) => format!(
            "{} {}",
            r.status(),
            r.body_mut().read_to_string().unwrap_or_default().trim()
        ),
        Err(e) => e.to_string(),
    }
}

/// User plus system CPU seconds of process `pid` (at Linux's 100 clock ticks a second).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3 on.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15, the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}
