//! A deterministic log fleet like the ones the logs store is built for, as three plain
//! files in a folder:
//!
//! * `app.jsonl`: pino-style JSON lines of five services (`level`, `time`, `pid`,
//!   `hostname`, `service`, `msg`, `requestId`, `traceId`, `spanId`, then the line's own
//!   fields: `method`, `path`, `statusCode`, `duration`, nested `err` objects, cache keys,
//!   database queries). A request enters one service and calls up to two others; each
//!   service on its path logs when the request starts, what it did on the way and when it
//!   ends, under the request's `requestId` and 128-bit `traceId` and its own 64-bit
//!   `spanId`: 2 to 4 lines per service.
//! * `ingress.log`: one logfmt line per request from the proxy in front (`ts`, `level`,
//!   `method`, `path`, `status`, `duration_ms`, `bytes`, `upstream`, `trace_id`).
//! * `worker.log`: plain-text lines of a background worker (GC pauses, jobs, failures).
//!
//! * `traces.otlp`: the spans of the same requests, as OTLP protobuf (see
//!   [`crate::fleet_traces`]): each service's server span carries the `spanId` of its
//!   lines, under the same `traceId`.
//!
//! Error bursts come every few minutes: a run of 5xx responses with stack traces. Lines of
//! concurrent requests interleave, and each file is in time order. The same config gives
//! the same bytes.

use crate::config::DEFAULT_START_MS;
use crate::fleet_traces::{ServerSpan, TraceRecorder};
use crate::noise::mix;
use chrono::{DateTime, SecondsFormat};
use parquetry_spans::SpanId;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

const SERVICES: [&str; 5] = ["checkout", "cart", "payment", "catalog", "auth"];
const PATHS: [&str; 6] = [
    "/api/v1/items",
    "/api/v1/cart",
    "/api/v1/checkout",
    "/api/v1/login",
    "/healthz",
    "/api/v1/search",
];
const JOBS: [&str; 4] = ["send-email", "reindex", "thumbnail", "billing-sync"];
/// No request takes longer: lines this far behind the newest request are final.
const MAX_DURATION_MS: i64 = 2_000;
const STACK: &str = "UpstreamError: upstream failed\n    at callUpstream (/app/src/client.js:88:11)\n    at async handler (/app/src/routes.js:42:5)";

/// The line files of a log fleet, in the order of [`FleetWritten::line_bytes`].
pub const LOG_FLEET_FILES: [&str; 3] = ["app.jsonl", "ingress.log", "worker.log"];

/// The spans file of a log fleet.
pub const TRACES_FILE: &str = "traces.otlp";

/// What [`LogFleetConfig::write`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetWritten {
    /// Bytes of each line file, as [`LOG_FLEET_FILES`] orders them.
    pub line_bytes: [u64; 3],
    /// Bytes of [`TRACES_FILE`].
    pub trace_bytes: u64,
    /// Spans in [`TRACES_FILE`].
    pub spans: u64,
}

/// Shape of a log fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct LogFleetConfig {
    /// About how many bytes of lines to write, over the three files.
    pub bytes: u64,
    /// When set, about how many spans to write instead: the fleet stops at this many
    /// spans whatever the bytes of lines.
    pub spans: Option<u64>,
    /// Time of the first request, milliseconds since the epoch.
    pub start_ms: i64,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for LogFleetConfig {
    /// 100 MB from 2026-01-05T00:00:00Z.
    fn default() -> Self {
        LogFleetConfig {
            bytes: 100_000_000,
            spans: None,
            start_ms: DEFAULT_START_MS,
            seed: 7,
        }
    }
}

/// A sequential pseudo-random stream.
pub(crate) struct Draws(pub(crate) u64);

impl Draws {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    /// Log-normal with the given parameters of the underlying normal (Box–Muller).
    fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        let (u, v) = (1.0 - self.unit(), self.unit());
        let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
        (mu + sigma * z).exp()
    }
}

/// Lines waiting to be written, earliest first, then in the order made.
type Pending = BinaryHeap<Reverse<(i64, u64, usize, String)>>;

/// One request's part in one service.
struct Part<'a> {
    service: &'a str,
    request: u64,
    trace: &'a str,
    status: i64,
    duration: i64,
    method: &'a str,
    path: &'a str,
}

impl LogFleetConfig {
    /// Writes the three line files and the spans file into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> std::io::Result<FleetWritten> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        for name in LOG_FLEET_FILES {
            files.push(BufWriter::new(File::create(dir.join(name))?));
        }
        let mut traces = BufWriter::new(File::create(dir.join(TRACES_FILE))?);
        let mut recorder = TraceRecorder::new(self.seed);
        let mut trace_bytes = 0u64;
        let mut written = [0u64; 3];
        let mut pending = Pending::new();
        let mut sequence = 0u64;
        let mut emit = |pending: &mut Pending, t: i64, file: usize, line: String| {
            pending.push(Reverse((t, sequence, file, line)));
            sequence += 1;
        };
        let mut draws = Draws(mix(self.seed));
        let mut t = self.start_ms;
        let mut request = 0u64;
        while match self.spans {
            Some(spans) => recorder.spans_written < spans,
            None => written.iter().sum::<u64>() < self.bytes,
        } {
            t += draws.between(1, 40);
            request += 1;
            let burst = in_burst(t);
            let entry = if draws.unit() < 0.7 {
                SERVICES[request as usize % SERVICES.len()]
            } else {
                draws.pick(&SERVICES)
            };
            let path = *draws.pick(&PATHS);
            let method = if path == "/api/v1/checkout" { "POST" } else { "GET" };
            let status = if burst && draws.unit() < 0.6 {
                *draws.pick(&[500, 502, 503])
            } else if draws.unit() < 30.0 / 35.0 {
                200
            } else {
                *draws.pick(&[201, 204, 304, 400, 404])
            };
            let (high, low) = (draws.next(), draws.next());
            let trace = format!("{high:016x}{low:016x}");
            recorder.begin(high, low);
            let duration =
                (draws.lognormal(3.0, 0.8) as i64 + if burst { 800 } else { 0 }).min(MAX_DURATION_MS);
            let part = Part {
                service: entry,
                request,
                trace: &trace,
                status,
                duration,
                method,
                path,
            };
            let (lines, mut caller) = service_lines(&mut draws, t, &part, &mut recorder, None);
            for (when, line) in lines {
                emit(&mut pending, when, 0, line);
            }
            let mut caller_service = entry;
            let calls = draws.between(0, 2) as usize;
            let mut others: Vec<&str> = SERVICES.iter().copied().filter(|s| *s != entry).collect();
            for depth in 1..=calls {
                let callee = others.remove((draws.next() % others.len() as u64) as usize);
                let inner_path = format!("/internal/{callee}");
                let inner = Part {
                    service: callee,
                    status: if status >= 500 { status } else { 200 },
                    duration: (duration / (depth as i64 + 1)).max(1),
                    method: "GET",
                    path: &inner_path,
                    ..part
                };
                let start = t + depth as i64;
                let host = host_of(caller_service, request);
                let client = recorder.call((caller_service, &host, caller), callee, start, inner.duration);
                let (lines, server) = service_lines(&mut draws, start, &inner, &mut recorder, Some(client));
                for (when, line) in lines {
                    emit(&mut pending, when, 0, line);
                }
                (caller_service, caller) = (callee, server);
            }
            trace_bytes += recorder.finish(&mut traces)?;
            let level = if status >= 500 { "error" } else { "info" };
            let ingress = format!(
                "ts={} level={level} method={method} path={path} status={status} duration_ms={duration} bytes={} upstream={entry}:8080 trace_id={trace}\n",
                iso_millis(t + duration),
                draws.between(200, 90_000),
            );
            emit(&mut pending, t + duration, 1, ingress);
            if draws.unit() < 0.5 {
                let kind = draws.unit();
                let text = if kind < 0.4 {
                    format!(
                        "GC pause {}ms heap={}MB",
                        draws.between(1, 40),
                        draws.between(200, 900)
                    )
                } else if kind < 0.9 {
                    format!(
                        "job {} id={:x} finished in {}ms",
                        draws.pick(&JOBS),
                        draws.next() >> 24,
                        draws.between(5, 4_000)
                    )
                } else {
                    format!(
                        "ERROR job {} failed: connection refused (attempt {}/5)",
                        draws.pick(&JOBS),
                        draws.between(1, 5)
                    )
                };
                emit(&mut pending, t, 2, format!("{} {text}\n", iso_millis(t)));
            }
            flush(&mut pending, t - MAX_DURATION_MS, &mut files, &mut written)?;
        }
        flush(&mut pending, i64::MAX, &mut files, &mut written)?;
        for mut f in files {
            f.flush()?;
        }
        traces.flush()?;
        Ok(FleetWritten {
            line_bytes: written,
            trace_bytes,
            spans: recorder.spans_written,
        })
    }
}

/// RFC 3339 in UTC with milliseconds, as loggers print it.
fn iso_millis(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

/// True in an error burst: the first 20 seconds of every minute whose number since the
/// epoch is 3 modulo 7.
pub fn in_burst(t_ms: i64) -> bool {
    t_ms.div_euclid(60_000).rem_euclid(7) == 3 && t_ms.div_euclid(1_000).rem_euclid(60) < 20
}

/// The start of the first error burst at or after `t_ms`.
pub fn next_burst(t_ms: i64) -> i64 {
    let minute = t_ms.div_euclid(60_000) + i64::from(t_ms.rem_euclid(60_000) != 0);
    (minute + (3 - minute).rem_euclid(7)) * 60_000
}

/// Writes the pending lines earlier than `before`.
fn flush(
    pending: &mut Pending,
    before: i64,
    files: &mut [BufWriter<File>],
    written: &mut [u64; 3],
) -> std::io::Result<()> {
    while pending.peek().is_some_and(|Reverse((t, ..))| *t < before) {
        let Reverse((_, _, file, line)) = pending.pop().expect("peeked");
        files[file].write_all(line.as_bytes())?;
        written[file] += line.len() as u64;
    }
    Ok(())
}

/// The host name of a service's instance that serves `request`.
fn host_of(service: &str, request: u64) -> String {
    format!("{service}-{}", request % 3)
}

/// The lines one service logs for its part of a request, with their times; its spans go
/// to `recorder`, its server span (returned) under `parent`.
fn service_lines(
    draws: &mut Draws,
    start: i64,
    part: &Part,
    recorder: &mut TraceRecorder,
    parent: Option<SpanId>,
) -> (Vec<(i64, String)>, SpanId) {
    let span_bits = draws.next();
    let span = format!("{span_bits:016x}");
    let host = host_of(part.service, part.request);
    let server = SpanId(span_bits.to_be_bytes());
    let record = |t: i64, level: u32, msg: &str, extra: &[(&str, Value)]| {
        let mut line = format!(
            r#"{{"level":{level},"time":{t},"pid":{},"hostname":"{host}","service":"{}","msg":"{msg}","requestId":"req-{:09}","traceId":"{}","spanId":"{span}""#,
            4_000
                + 10 * SERVICES.iter().position(|s| *s == part.service).unwrap_or(0) as u64
                + part.request % 3,
            part.service,
            part.request,
            part.trace,
        );
        for (key, value) in extra {
            line.push_str(&format!(",\"{key}\":"));
            value.write(&mut line);
        }
        line.push_str("}\n");
        (t, line)
    };
    let mut lines = vec![record(
        start,
        30,
        "request started",
        &[
            ("method", Value::Text(part.method)),
            ("path", Value::Text(part.path)),
        ],
    )];
    let mut t = start;
    for _ in 0..draws.between(0, 2) {
        t += draws.between(0, (part.duration / 3).max(1));
        if draws.unit() < 0.5 {
            let key = format!("{}:{}:{}", part.service, part.path, draws.between(1, 5_000));
            lines.push(record(t, 20, "cache miss", &[("cacheKey", Value::Text(&key))]));
            recorder.cache_get((part.service, &host, server), &key, t);
        } else {
            let query = format!("SELECT * FROM {}_items WHERE id = $1", part.service);
            let extra = [
                ("db", Value::Text("postgres")),
                ("query", Value::Text(&query)),
                ("rows", Value::Number(draws.between(0, 40))),
            ];
            lines.push(record(t, 20, "db query", &extra));
            let room = part.duration - (t - start);
            recorder.query((part.service, &host, server), &query, t, room);
        }
    }
    let end = start + part.duration;
    let level = match part.status {
        500.. => 50,
        400.. => 40,
        _ => 30,
    };
    let mut done = vec![
        ("method", Value::Text(part.method)),
        ("path", Value::Text(part.path)),
        ("statusCode", Value::Number(part.status)),
        ("duration", Value::Number(part.duration)),
    ];
    let message = if part.status >= 500 {
        format!("upstream {} returned {}", draws.pick(&SERVICES), part.status)
    } else {
        String::new()
    };
    if part.status >= 500 {
        done.push(("err", Value::Error(&message)));
    }
    let msg = if part.status >= 500 {
        "request failed"
    } else {
        "request completed"
    };
    lines.push(record(end, level, msg, &done));
    recorder.server(&ServerSpan {
        service: part.service,
        host: &host,
        span_id: span_bits,
        parent,
        method: part.method,
        path: part.path,
        status: part.status,
        start_ms: start,
        duration_ms: part.duration,
        error: (part.status >= 500).then_some(message.as_str()),
    });
    (lines, server)
}

/// A field value of an app line.
enum Value<'a> {
    Text(&'a str),
    Number(i64),
    /// A nested error object with this message and the fleet's stack trace.
    Error(&'a str),
}

impl Value<'_> {
    fn write(&self, out: &mut String) {
        let text = |s: &str| serde_json::to_string(s).expect("strings serialize");
        match self {
            Value::Text(s) => out.push_str(&text(s)),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::Error(message) => out.push_str(&format!(
                r#"{{"type":"UpstreamError","message":{},"stack":{}}}"#,
                text(message),
                text(STACK)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_is_deterministic_sized_and_well_formed() {
        // Starting in an error burst.
        let config = LogFleetConfig {
            bytes: 2_000_000,
            start_ms: next_burst(DEFAULT_START_MS),
            ..LogFleetConfig::default()
        };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sizes = config.write(a.path()).unwrap();
        assert_eq!(config.write(b.path()).unwrap(), sizes);
        let total: u64 = sizes.line_bytes.iter().sum();
        // Lines of the last two seconds of requests come after the budget is reached.
        assert!((2_000_000..2_400_000).contains(&total), "{sizes:?}");
        let read = |name: &str| std::fs::read_to_string(a.path().join(name)).unwrap();
        assert_eq!(
            read("app.jsonl"),
            std::fs::read_to_string(b.path().join("app.jsonl")).unwrap()
        );
        let mut last = 0;
        for line in read("app.jsonl").lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let t = v["time"].as_i64().unwrap();
            assert!(t >= last, "out of order: {line}");
            last = t;
            assert_eq!(v["traceId"].as_str().unwrap().len(), 32);
        }
        let ingress = read("ingress.log");
        assert!(
            ingress
                .lines()
                .all(|l| l.starts_with("ts=2026-01-05T") && l.contains(" trace_id="))
        );
        assert!(read("worker.log").lines().any(|l| l.contains("GC pause")));
        assert!(read("app.jsonl").contains(r#""err":{"type":"UpstreamError""#));
    }

    /// Every span of a fleet's traces file.
    fn fleet_spans(dir: &Path) -> Vec<parquetry_spans::Span> {
        let bytes = std::fs::read(dir.join(TRACES_FILE)).unwrap();
        let (mut at, mut spans) = (0, Vec::new());
        while at < bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let message = &bytes[at + 4..at + 4 + len];
            spans.extend(parquetry_spans::otlp_proto::decode(message).unwrap());
            at += 4 + len;
        }
        spans
    }

    #[test]
    fn the_spans_carry_the_ids_of_the_lines() {
        let config = LogFleetConfig {
            bytes: 1_000_000,
            start_ms: next_burst(DEFAULT_START_MS),
            ..LogFleetConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let written = config.write(dir.path()).unwrap();
        let spans = fleet_spans(dir.path());
        assert_eq!(spans.len() as u64, written.spans);
        let ids: std::collections::HashSet<(String, String)> = spans
            .iter()
            .map(|s| (s.trace_id.to_string(), s.span_id.to_string()))
            .collect();
        let app = std::fs::read_to_string(dir.path().join("app.jsonl")).unwrap();
        for line in app.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = (
                v["traceId"].as_str().unwrap().to_string(),
                v["spanId"].as_str().unwrap().to_string(),
            );
            assert!(ids.contains(&key), "no span for {line}");
        }
        // One root per trace, every parent in the trace.
        let mut roots = std::collections::HashMap::new();
        for s in &spans {
            match s.parent_span_id {
                None => *roots.entry(s.trace_id).or_insert(0) += 1,
                Some(p) => assert!(ids.contains(&(s.trace_id.to_string(), p.to_string()))),
            }
        }
        assert!(roots.values().all(|&n| n == 1));
        let slow_query = spans.iter().any(|s| {
            s.duration() > 500_000_000
                && s.attributes
                    .iter()
                    .any(|a| a.key == "db.system" && a.value.to_text() == "postgresql")
        });
        assert!(slow_query, "the error burst has slow PostgreSQL queries");
        assert!(
            spans
                .iter()
                .any(|s| s.status_code == parquetry_spans::StatusCode::Error)
        );
        let by_spans = LogFleetConfig {
            spans: Some(1_000),
            ..config
        };
        let written = by_spans.write(dir.path()).unwrap();
        assert!((1_000..1_020).contains(&written.spans), "{written:?}");
    }

    #[test]
    fn bursts_come_every_seventh_minute() {
        let first = next_burst(DEFAULT_START_MS);
        assert!(in_burst(first) && in_burst(first + 19_999) && !in_burst(first + 20_000));
        assert!(!in_burst(first - 1));
        assert_eq!(next_burst(first), first);
        assert_eq!(next_burst(first + 1), first + 7 * 60_000);
        assert!((DEFAULT_START_MS..DEFAULT_START_MS + 7 * 60_000).contains(&first));
    }
}
