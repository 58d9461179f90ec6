//! OTLP protobuf for traces: the `TracesData` messages (an `ExportTraceServiceRequest`
//! has the same encoding), declared with prost, and their conversion to and from spans.
//! Files hold one message, or a sequence of messages each preceded by its length as a
//! 4-byte big-endian integer (as the OpenTelemetry Collector's file exporter writes
//! them with `format: proto`).

use crate::any_value::{AnyValue as Value, Attribute};
use crate::span::{
    Event, Link, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId, by_resource_and_scope,
    check_span,
};
use parquetry_model::otlp_proto::{
    AnyValueProto, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, Kind, ResourceProto,
};
use prost::Message;
use std::sync::Arc;

/// `opentelemetry.proto.trace.v1.TracesData`.
#[derive(Clone, PartialEq, Message)]
pub struct TracesData {
    /// Spans by resource.
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

/// The spans of one resource.
#[derive(Clone, PartialEq, Message)]
pub struct ResourceSpans {
    /// The resource.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<ResourceProto>,
    /// Spans by scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
    /// The resource's schema URL.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// The spans of one instrumentation scope.
#[derive(Clone, PartialEq, Message)]
pub struct ScopeSpans {
    /// The scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// Its spans.
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<SpanProto>,
    /// The scope's schema URL.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.trace.v1.Span`.
#[derive(Clone, PartialEq, Message)]
pub struct SpanProto {
    /// 16 bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// 8 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// W3C trace state.
    #[prost(string, tag = "3")]
    pub trace_state: String,
    /// 8 bytes, or empty for a root.
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    /// The operation's name.
    #[prost(string, tag = "5")]
    pub name: String,
    /// `SpanKind` as a number.
    #[prost(int32, tag = "6")]
    pub kind: i32,
    /// Start, ns since the epoch.
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    /// End, ns since the epoch.
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    /// Attributes.
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    #[prost(uint32, tag = "10")]
    pub dropped_attributes_count: u32,
    /// Events.
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<EventProto>,
    /// Events the sender dropped.
    #[prost(uint32, tag = "12")]
    pub dropped_events_count: u32,
    /// Links.
    #[prost(message, repeated, tag = "13")]
    pub links: Vec<LinkProto>,
    /// Links the sender dropped.
    #[prost(uint32, tag = "14")]
    pub dropped_links_count: u32,
    /// Status.
    #[prost(message, optional, tag = "15")]
    pub status: Option<StatusProto>,
    /// W3C trace flags and OTLP's span flags.
    #[prost(fixed32, tag = "16")]
    pub flags: u32,
}

/// `Span.Event`.
#[derive(Clone, PartialEq, Message)]
pub struct EventProto {
    /// When, ns since the epoch.
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    /// Its name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Its attributes.
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

/// `Span.Link`.
#[derive(Clone, PartialEq, Message)]
pub struct LinkProto {
    /// The linked trace, 16 bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// The linked span, 8 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// W3C trace state.
    #[prost(string, tag = "3")]
    pub trace_state: String,
    /// Its attributes.
    #[prost(message, repeated, tag = "4")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    #[prost(uint32, tag = "5")]
    pub dropped_attributes_count: u32,
    /// W3C trace flags.
    #[prost(fixed32, tag = "6")]
    pub flags: u32,
}

/// `Status`.
#[derive(Clone, PartialEq, Message)]
pub struct StatusProto {
    /// The message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// `StatusCode` as a number.
    #[prost(int32, tag = "3")]
    pub code: i32,
}

fn value_of(v: Option<AnyValueProto>) -> Value {
    match v.and_then(|v| v.value) {
        None => Value::Empty,
        Some(Kind::String(s)) => Value::String(s),
        Some(Kind::Bool(b)) => Value::Bool(b),
        Some(Kind::Int(n)) => Value::Int(n),
        Some(Kind::Double(d)) => Value::Double(d),
        Some(Kind::Bytes(b)) => Value::Bytes(b),
        Some(Kind::Array(a)) => Value::Array(a.values.into_iter().map(|v| value_of(Some(v))).collect()),
        Some(Kind::KvList(l)) => Value::KvList(attributes_of(l.values)),
    }
}

fn attributes_of(kvs: Vec<KeyValue>) -> Vec<Attribute> {
    kvs.into_iter()
        .map(|kv| Attribute::new(kv.key, value_of(kv.value)))
        .collect()
}

fn proto_of_value(v: &Value) -> AnyValueProto {
    let value = match v {
        Value::Empty => None,
        Value::String(s) => Some(Kind::String(s.clone())),
        Value::Bool(b) => Some(Kind::Bool(*b)),
        Value::Int(n) => Some(Kind::Int(*n)),
        Value::Double(d) => Some(Kind::Double(*d)),
        Value::Bytes(b) => Some(Kind::Bytes(b.clone())),
        Value::Array(items) => Some(Kind::Array(ArrayValue {
            values: items.iter().map(proto_of_value).collect(),
        })),
        Value::KvList(kvs) => Some(Kind::KvList(KeyValueList {
            values: proto_of_attributes(kvs),
        })),
    };
    AnyValueProto { value }
}

fn proto_of_attributes(attributes: &[Attribute]) -> Vec<KeyValue> {
    attributes
        .iter()
        .map(|a| KeyValue {
            key: a.key.clone(),
            value: Some(proto_of_value(&a.value)),
        })
        .collect()
}

fn id<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("{what} has {} bytes, not {N}", bytes.len()))
}

fn time(ns: u64, what: &str) -> Result<i64, String> {
    i64::try_from(ns).map_err(|_| format!("{what} {ns} is beyond the year 2262"))
}

/// The spans of one `TracesData`, in message order; fails on the first malformed span
/// (ids of the wrong length or all zeros, no start, an end before the start, an unknown
/// kind or status).
pub fn spans_of(data: TracesData) -> Result<Vec<Span>, String> {
    let mut out = Vec::new();
    for rs in data.resource_spans {
        let r = rs.resource.unwrap_or_default();
        let resource = Arc::new(Resource {
            attributes: attributes_of(r.attributes),
            dropped_attributes_count: r.dropped_attributes_count,
            schema_url: rs.schema_url,
        });
        for ss in rs.scope_spans {
            let sc = ss.scope.unwrap_or_default();
            let scope = Arc::new(Scope {
                name: sc.name,
                version: sc.version,
                attributes: attributes_of(sc.attributes),
                dropped_attributes_count: sc.dropped_attributes_count,
                schema_url: ss.schema_url,
            });
            for s in ss.spans {
                out.push(span_of(s, &resource, &scope)?);
            }
        }
    }
    Ok(out)
}

fn span_of(s: SpanProto, resource: &Arc<Resource>, scope: &Arc<Scope>) -> Result<Span, String> {
    let span_id = SpanId(id(&s.span_id, "span id")?);
    let parent_span_id = match s.parent_span_id.as_slice() {
        [] => None,
        bytes => Some(SpanId(id(bytes, "parent span id")?)).filter(|p| p.0 != [0; 8]),
    };
    let status = s.status.unwrap_or_default();
    let span = Span {
        trace_id: TraceId(id(&s.trace_id, "trace id")?),
        span_id,
        parent_span_id,
        trace_state: s.trace_state,
        flags: s.flags,
        name: s.name,
        kind: SpanKind::from_number(i64::from(s.kind))
            .ok_or_else(|| format!("span {span_id}: unknown kind {}", s.kind))?,
        start: time(s.start_time_unix_nano, "startTimeUnixNano")?,
        end: time(s.end_time_unix_nano, "endTimeUnixNano")?,
        status_code: StatusCode::from_number(i64::from(status.code))
            .ok_or_else(|| format!("span {span_id}: unknown status code {}", status.code))?,
        status_message: status.message,
        attributes: attributes_of(s.attributes),
        dropped_attributes_count: s.dropped_attributes_count,
        events: s
            .events
            .into_iter()
            .map(|e| {
                Ok(Event {
                    time_unix_nano: time(e.time_unix_nano, "event timeUnixNano")?,
                    name: e.name,
                    attributes: attributes_of(e.attributes),
                    dropped_attributes_count: e.dropped_attributes_count,
                })
            })
            .collect::<Result<_, String>>()?,
        dropped_events_count: s.dropped_events_count,
        links: s
            .links
            .into_iter()
            .map(|l| {
                Ok(Link {
                    trace_id: TraceId(id(&l.trace_id, "link trace id")?),
                    span_id: SpanId(id(&l.span_id, "link span id")?),
                    trace_state: l.trace_state,
                    attributes: attributes_of(l.attributes),
                    dropped_attributes_count: l.dropped_attributes_count,
                    flags: l.flags,
                })
            })
            .collect::<Result<_, String>>()?,
        dropped_links_count: s.dropped_links_count,
        resource: resource.clone(),
        scope: scope.clone(),
    };
    check_span(&span)?;
    Ok(span)
}

/// `spans` as one `TracesData`, grouped by resource and scope.
pub fn traces_data(spans: &[Span]) -> TracesData {
    let resource_spans = by_resource_and_scope(spans)
        .into_iter()
        .map(|(resource, scopes)| ResourceSpans {
            resource: Some(ResourceProto {
                attributes: proto_of_attributes(&resource.attributes),
                dropped_attributes_count: resource.dropped_attributes_count,
            }),
            scope_spans: scopes
                .into_iter()
                .map(|(scope, spans)| ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: scope.name.clone(),
                        version: scope.version.clone(),
                        attributes: proto_of_attributes(&scope.attributes),
                        dropped_attributes_count: scope.dropped_attributes_count,
                    }),
                    spans: spans.into_iter().map(proto_of_span).collect(),
                    schema_url: scope.schema_url.clone(),
                })
                .collect(),
            schema_url: resource.schema_url.clone(),
        })
        .collect();
    TracesData { resource_spans }
}

fn proto_of_span(s: &Span) -> SpanProto {
    SpanProto {
        trace_id: s.trace_id.0.to_vec(),
        span_id: s.span_id.0.to_vec(),
        trace_state: s.trace_state.clone(),
        parent_span_id: s.parent_span_id.map_or(Vec::new(), |p| p.0.to_vec()),
        name: s.name.clone(),
        kind: s.kind.number(),
        start_time_unix_nano: s.start as u64,
        end_time_unix_nano: s.end as u64,
        attributes: proto_of_attributes(&s.attributes),
        dropped_attributes_count: s.dropped_attributes_count,
        events: s
            .events
            .iter()
            .map(|e| EventProto {
                time_unix_nano: e.time_unix_nano as u64,
                name: e.name.clone(),
                attributes: proto_of_attributes(&e.attributes),
                dropped_attributes_count: e.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: s.dropped_events_count,
        links: s
            .links
            .iter()
            .map(|l| LinkProto {
                trace_id: l.trace_id.0.to_vec(),
                span_id: l.span_id.0.to_vec(),
                trace_state: l.trace_state.clone(),
                attributes: proto_of_attributes(&l.attributes),
                dropped_attributes_count: l.dropped_attributes_count,
                flags: l.flags,
            })
            .collect(),
        dropped_links_count: s.dropped_links_count,
        status: Some(StatusProto {
            message: s.status_message.clone(),
            code: s.status_code.number(),
        }),
        flags: s.flags,
    }
}

/// True when `head` (the first bytes of an input) is binary rather than JSON text:
/// it holds a control byte other than a tab or line break, which JSON never does and a
/// protobuf message's tags and lengths almost always do.
pub fn looks_binary(head: &[u8]) -> bool {
    head.iter()
        .take(256)
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

/// Decodes one message's spans.
pub fn decode(bytes: &[u8]) -> Result<Vec<Span>, String> {
    let data =
        TracesData::decode(bytes).map_err(|e| format!("not an OTLP protobuf TracesData message: {e}"))?;
    spans_of(data)
}

/// `spans` as one length-prefixed frame: the 4-byte big-endian length, then the
/// `TracesData` message.
pub fn encode_frame(spans: &[Span]) -> Vec<u8> {
    let message = traces_data(spans).encode_to_vec();
    let mut out = Vec::with_capacity(message.len() + 4);
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(&message);
    out
}
