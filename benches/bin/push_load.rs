//! Push load on loopback: CLIENTS threads send requests of ITEMS items each to URL for
//! SECONDS, each waiting for its answer before the next, as a Prometheus shard, an
//! OpenTelemetry batch exporter or promtail does. KIND is what they send:
//! * `remote-write`: snappy 1.0 requests of ITEMS series × one sample (a Prometheus
//!   shard's batch is 2,000), each client's series a sample a second apart from five
//!   minutes ago on, so that a receiver with Prometheus' rules (in order, not too far
//!   in the future) takes every one;
//! * `otlp-traces`: OTLP/HTTP protobuf `ExportTraceServiceRequest`s of ITEMS spans
//!   (traces of ten spans, of one service; 512 is the SDK's batch);
//! * `loki-push`: Loki push JSON bodies of ITEMS lines of about 200 bytes over ten
//!   streams.
//!
//! The requests are encoded before the clock starts; a client that used all of its
//! requests stops early, and the rate is over the time the requests took. Prints the
//! items (and payload megabytes) acknowledged per second and, given the server's PID,
//! its CPU seconds until 7 s after the load (so items per CPU-second, the commits of
//! what it took included) and peak resident memory. Every request must be acknowledged
//! with a 2xx; any other answer is counted and fails the run.
//!
//! Usage: push-load KIND URL SECONDS CLIENTS [ITEMS_PER_REQUEST] [SERVER_PID]

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
    let kind = args.get(1).and_then(|k| Kind::from_name(k));
    let (Some(kind), true) = (kind, args.len() >= 5) else {
        eprintln!(
            "usage: push-load remote-write|otlp-traces|loki-push URL SECONDS CLIENTS [ITEMS_PER_REQUEST] [SERVER_PID]"
        );
        return ExitCode::FAILURE;
    };
    let url = format!("{}{}", args[2].trim_end_matches('/'), kind.path());
    let seconds: u64 = args[3].parse().unwrap_or(30);
    let clients: usize = args[4].parse().unwrap_or(8);
    let per_request: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let pid: Option<u32> = args.get(6).and_then(|s| s.parse().ok());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let requests: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| kind.bodies(c, per_request, now_ms))
        .collect();
    let payload_per_request = kind.payload_bytes(per_request);
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
                    let mut request = agent.post(url);
                    for (name, value) in kind.headers() {
                        request = request.header(*name, *value);
                    }
                    let answer = request.send(body.as_slice());
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
    let unit = kind.unit();
    let megabytes = (samples / per_request as u64 * payload_per_request) as f64 / 1e6;
    println!(
        "{samples} {unit} acknowledged in {elapsed:.1} s: {:.0} {unit}/s ({:.1} MB/s of {}) from {clients} clients",
        samples as f64 / elapsed,
        megabytes / elapsed,
        kind.payload_name(),
    );
    if let Some(pid) = pid {
        // The server's work on what it took ends with its next commit: wait for it.
        std::thread::sleep(SETTLE);
        let cpu = cpu_seconds(pid) - cpu_before;
        println!(
            "server: {cpu:.1} CPU-seconds, {:.0} {unit} per CPU-second, peak RSS {} MiB",
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

/// What the clients send.
#[derive(Clone, Copy)]
enum Kind {
    RemoteWrite,
    OtlpTraces,
    LokiPush,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        match name {
            "remote-write" => Some(Kind::RemoteWrite),
            "otlp-traces" => Some(Kind::OtlpTraces),
            "loki-push" => Some(Kind::LokiPush),
            _ => None,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::RemoteWrite => "/api/v1/write",
            Kind::OtlpTraces => "/v1/traces",
            Kind::LokiPush => "/loki/api/v1/push",
        }
    }

    fn headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::RemoteWrite => &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "snappy"),
                ("X-Prometheus-Remote-Write-Version", "0.1.0"),
            ],
            Kind::OtlpTraces => &[("Content-Type", "application/x-protobuf")],
            Kind::LokiPush => &[("Content-Type", "application/json")],
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Kind::RemoteWrite => "samples",
            Kind::OtlpTraces => "spans",
            Kind::LokiPush => "lines",
        }
    }

    /// What the payload megabytes count.
    fn payload_name(self) -> &'static str {
        match self {
            Kind::RemoteWrite => "snappy bodies",
            Kind::OtlpTraces => "protobuf bodies",
            Kind::LokiPush => "log lines",
        }
    }

    /// Payload bytes of one request of `items`.
    fn payload_bytes(self, items: usize) -> u64 {
        match self {
            Kind::LokiPush => (items * LINE_BYTES) as u64,
            _ => self.body(0, 0, items, 1_767_225_600_000).len() as u64,
        }
    }

    /// Client `client`'s requests of `items` each; times step a second per request from
    /// five minutes before `now_ms`.
    fn bodies(self, client: usize, items: usize, now_ms: i64) -> Vec<Vec<u8>> {
        (0..REQUESTS_PER_CLIENT)
            .map(|round| self.body(client, round, items, now_ms - 300_000 + round as i64 * 1_000))
            .collect()
    }

    /// Request `round` of client `client`, its items at `timestamp` (ms).
    fn body(self, client: usize, round: usize, items: usize, timestamp: i64) -> Vec<u8> {
        match self {
            Kind::RemoteWrite => remote_write(client, round, items, timestamp),
            Kind::OtlpTraces => traces(client, round, items, timestamp),
            Kind::LokiPush => push(client, round, items, timestamp),
        }
    }
}

/// Bytes of each pushed log line.
const LINE_BYTES: usize = 200;

/// Series `load_metric{client, series}`, one sample each.
fn remote_write(client: usize, round: usize, items: usize, timestamp: i64) -> Vec<u8> {
    let label = |name: &str, value: String| Label {
        name: name.into(),
        value,
    };
    let timeseries = (0..items)
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
}

/// Traces of ten spans (a root and its children), ids unique per client and round.
fn traces(client: usize, round: usize, items: usize, timestamp: i64) -> Vec<u8> {
    let start_ns = timestamp * 1_000_000;
    let spans: Vec<String> = (0..items)
        .map(|i| {
            let trace = ((client as u128) << 64) | ((round as u128) << 32) | (i / 10 + 1) as u128;
            let parent = if i % 10 == 0 {
                String::new()
            } else {
                format!(r#","parentSpanId":"{:016x}""#, i / 10 * 10 + 1)
            };
            format!(
                r#"{{"traceId":"{trace:032x}","spanId":"{:016x}"{parent},"name":"GET /api/items/{{id}}","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"http.route","value":{{"stringValue":"/api/items/{{id}}"}}}},{{"key":"http.status_code","value":{{"intValue":"200"}}}}]}}"#,
                i + 1,
                start_ns + i as i64 * 1_000,
                start_ns + i as i64 * 1_000 + 2_500_000,
            )
        })
        .collect();
    let json = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"load-{client}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let data = serde_json::from_str(&json).expect("the load's spans are OTLP/JSON");
    let spans = parquetry::spans::otlp_json::spans_of(data).expect("the load's spans are valid");
    parquetry::spans::otlp_proto::traces_data(&spans).encode_to_vec()
}

/// Lines of [`LINE_BYTES`] over ten streams `{job="load", client, stream}`.
fn push(client: usize, round: usize, items: usize, timestamp: i64) -> Vec<u8> {
    let streams: Vec<String> = (0..10)
        .map(|stream| {
            let values: Vec<String> = (stream..items)
                .step_by(10)
                .map(|i| {
                    let head = format!(
                        "level=info client={client} round={round} line={i} msg=served path=/api/items "
                    );
                    let line = format!("{head}{}", "x".repeat(LINE_BYTES.saturating_sub(head.len())));
                    format!(r#"["{}","{line}"]"#, timestamp * 1_000_000 + i as i64)
                })
                .collect();
            format!(
                r#"{{"stream":{{"job":"load","client":"{client}","stream":"{stream}"}},"values":[{}]}}"#,
                values.join(",")
            )
        })
        .collect();
    format!(r#"{{"streams":[{}]}}"#, streams.join(",")).into_bytes()
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
