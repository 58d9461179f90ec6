//! The spans of the log fleet's requests ([`crate::log_fleet`]): each service on a
//! request's path has a server span whose span id is the `spanId` of its log lines, under
//! the request's `traceId`; a call to the next service is a client span in the caller,
//! parent of the callee's server span; each database query and cache miss the service
//! logs is a client span of its own (PostgreSQL or Redis, with the semantic-convention
//! attributes). Failed requests have error statuses and an exception event. A request's
//! spans are written as one OTLP protobuf `TracesData`, length-prefixed as the
//! Collector's file exporter writes them.
//!
//! The recorder draws from its own stream, so the log lines are the same bytes with or
//! without the spans.

use crate::log_fleet::Draws;
use parquetry_spans::otlp_proto::encode_frame;
use parquetry_spans::span::{Event, Resource, Scope};
use parquetry_spans::{AnyValue, Attribute, Span, SpanId, SpanKind, StatusCode, TraceId};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

const NS_PER_MS: i64 = 1_000_000;

/// The spans of the request being generated, and what the next ones hang under.
pub(crate) struct TraceRecorder {
    draws: Draws,
    trace_id: TraceId,
    spans: Vec<Span>,
    resources: HashMap<String, Arc<Resource>>,
    http: Arc<Scope>,
    database: Arc<Scope>,
    /// Spans written so far.
    pub(crate) spans_written: u64,
}

/// A service's server span for its part of a request.
pub(crate) struct ServerSpan<'a> {
    pub(crate) service: &'a str,
    pub(crate) host: &'a str,
    pub(crate) span_id: u64,
    pub(crate) parent: Option<SpanId>,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: i64,
    pub(crate) start_ms: i64,
    pub(crate) duration_ms: i64,
    /// The failure message, for a failed request.
    pub(crate) error: Option<&'a str>,
}

fn text(key: &str, value: &str) -> Attribute {
    Attribute::new(key, AnyValue::String(value.to_string()))
}

fn int(key: &str, value: i64) -> Attribute {
    Attribute::new(key, AnyValue::Int(value))
}

fn scope(name: &str, version: &str) -> Arc<Scope> {
    Arc::new(Scope {
        name: name.to_string(),
        version: version.to_string(),
        ..Scope::default()
    })
}

impl TraceRecorder {
    /// A recorder drawing from its own stream seeded by `seed`.
    pub(crate) fn new(seed: u64) -> TraceRecorder {
        TraceRecorder {
            draws: Draws(crate::noise::mix(seed) ^ 0x7472_6163_6573),
            trace_id: TraceId::default(),
            spans: Vec::new(),
            resources: HashMap::new(),
            http: scope("@opentelemetry/instrumentation-http", "0.57.1"),
            database: scope("@opentelemetry/instrumentation-pg", "0.51.0"),
            spans_written: 0,
        }
    }

    /// Starts the request whose trace id is the two halves `high`, `low`.
    pub(crate) fn begin(&mut self, high: u64, low: u64) {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&high.to_be_bytes());
        id[8..].copy_from_slice(&low.to_be_bytes());
        self.trace_id = TraceId(id);
        self.spans.clear();
    }

    fn resource(&mut self, service: &str, host: &str) -> Arc<Resource> {
        self.resources
            .entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(Resource {
                    attributes: vec![
                        text("service.name", service),
                        text("service.namespace", "shop"),
                        text("service.version", "2.3.1"),
                        text("deployment.environment", "prod"),
                        text("host.name", host),
                        text("k8s.namespace.name", "shop"),
                        text("k8s.deployment.name", service),
                        text("k8s.pod.name", host),
                    ],
                    ..Resource::default()
                })
            })
            .clone()
    }

    fn span(&mut self, service: &str, host: &str, id: SpanId, parent: Option<SpanId>, name: String) -> Span {
        Span {
            trace_id: self.trace_id,
            span_id: id,
            parent_span_id: parent,
            trace_state: String::new(),
            flags: 1,
            name,
            kind: SpanKind::Client,
            start: 0,
            end: 0,
            status_code: StatusCode::Unset,
            status_message: String::new(),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Vec::new(),
            dropped_events_count: 0,
            links: Vec::new(),
            dropped_links_count: 0,
            resource: self.resource(service, host),
            scope: self.http.clone(),
        }
    }

    fn fresh_id(&mut self) -> SpanId {
        SpanId(self.draws.next().to_be_bytes())
    }

    /// Records a service's server span; returns its id.
    pub(crate) fn server(&mut self, s: &ServerSpan) -> SpanId {
        let id = SpanId(s.span_id.to_be_bytes());
        let mut span = self.span(
            s.service,
            s.host,
            id,
            s.parent,
            format!("{} {}", s.method, s.path),
        );
        span.kind = SpanKind::Server;
        span.start = s.start_ms * NS_PER_MS;
        span.end = (s.start_ms + s.duration_ms) * NS_PER_MS;
        span.attributes = vec![
            text("http.request.method", s.method),
            text("http.route", s.path),
            text("url.path", s.path),
            int("http.response.status_code", s.status),
            text("network.protocol.version", "1.1"),
        ];
        if let Some(message) = s.error {
            span.status_code = StatusCode::Error;
            span.status_message = message.to_string();
            span.events.push(Event {
                time_unix_nano: span.end - 50_000,
                name: "exception".to_string(),
                attributes: vec![
                    text("exception.type", "UpstreamError"),
                    text("exception.message", message),
                ],
                dropped_attributes_count: 0,
            });
        }
        self.spans.push(span);
        id
    }

    /// Records the client span of `caller`'s call to the service whose part starts at
    /// `start_ms` and lasts `duration_ms`; returns its id, the callee's parent.
    pub(crate) fn call(
        &mut self,
        caller: (&str, &str, SpanId),
        callee: &str,
        start_ms: i64,
        duration_ms: i64,
    ) -> SpanId {
        let id = self.fresh_id();
        let (service, host, parent) = caller;
        let mut span = self.span(service, host, id, Some(parent), format!("GET /internal/{callee}"));
        span.start = start_ms * NS_PER_MS - 300_000;
        span.end = (start_ms + duration_ms) * NS_PER_MS + 300_000;
        span.attributes = vec![
            text("http.request.method", "GET"),
            text("server.address", callee),
            int("server.port", 8080),
        ];
        self.spans.push(span);
        id
    }

    /// Records a PostgreSQL query of the server span `parent` at `start_ms`, taking at
    /// most `room_ms`: slow requests spend most of their time in it.
    pub(crate) fn query(&mut self, on: (&str, &str, SpanId), statement: &str, start_ms: i64, room_ms: i64) {
        let (service, host, parent) = on;
        let id = self.fresh_id();
        let table = format!("{service}_items");
        let mut span = self.span(service, host, id, Some(parent), format!("SELECT {table}"));
        span.scope = self.database.clone();
        let typical = 200_000 + (self.draws.next() % 4_000_000) as i64;
        let room = room_ms.max(1) * NS_PER_MS;
        let duration = if room > 400 * NS_PER_MS {
            room * 9 / 10
        } else {
            typical.min(room)
        };
        span.start = start_ms * NS_PER_MS;
        span.end = span.start + duration;
        span.attributes = vec![
            text("db.system", "postgresql"),
            text("db.query.text", statement),
            text("db.namespace", "shop"),
            text("db.collection.name", &table),
            text("server.address", "pg.shop.svc"),
            int("server.port", 5432),
        ];
        self.spans.push(span);
    }

    /// Records a Redis lookup of `key` (a cache miss) of the server span `parent`.
    pub(crate) fn cache_get(&mut self, on: (&str, &str, SpanId), key: &str, start_ms: i64) {
        let (service, host, parent) = on;
        let id = self.fresh_id();
        let mut span = self.span(service, host, id, Some(parent), "GET".to_string());
        span.scope = self.database.clone();
        span.start = start_ms * NS_PER_MS;
        span.end = span.start + 50_000 + (self.draws.next() % 900_000) as i64;
        span.attributes = vec![
            text("db.system", "redis"),
            text("db.query.text", &format!("GET {key}")),
            text("server.address", "redis.shop.svc"),
            int("server.port", 6379),
        ];
        self.spans.push(span);
    }

    /// Writes the request's spans as one length-prefixed message; returns its bytes.
    pub(crate) fn finish(&mut self, out: &mut impl Write) -> std::io::Result<u64> {
        self.spans.sort_by_key(|s| (s.start, s.span_id));
        let frame = encode_frame(&self.spans);
        out.write_all(&frame)?;
        self.spans_written += self.spans.len() as u64;
        self.spans.clear();
        Ok(frame.len() as u64)
    }
}
