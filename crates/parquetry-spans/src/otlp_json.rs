//! OTLP/JSON traces (`TracesData`, as the OpenTelemetry Collector's file exporter writes
//! one per line): reading them into [`Span`]s and writing spans back.
//!
//! Reading accepts what the protocol's JSON mapping allows: ids as hex, enums as
//! integers or names, 64-bit numbers as strings or numbers. Writing follows the mapping
//! exactly: hex ids, integer enums, 64-bit numbers as strings, defaults left out.

use crate::any_value::{AnyValue, Attribute, attributes_to_json};
use crate::span::{
    Event, Link, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId, by_resource_and_scope,
    check_span,
};
use parquetry_model::otlp::{self, KeyValue, u64_of};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// One `TracesData` message.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TracesData {
    /// Spans grouped by resource.
    pub resource_spans: Vec<ResourceSpans>,
}

/// The spans of one resource.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceSpans {
    /// The resource.
    pub resource: otlp::Resource,
    /// Spans grouped by scope.
    pub scope_spans: Vec<ScopeSpans>,
    /// The schema URL.
    pub schema_url: String,
}

/// The spans of one instrumentation scope.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScopeSpans {
    /// The scope.
    pub scope: otlp::Scope,
    /// The spans.
    pub spans: Vec<SpanJson>,
    /// The schema URL.
    pub schema_url: String,
}

/// A span as OTLP/JSON writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct SpanJson {
    pub trace_id: String,
    pub span_id: String,
    pub trace_state: String,
    pub parent_span_id: String,
    pub flags: Option<Value>,
    pub name: String,
    pub kind: Option<Value>,
    pub start_time_unix_nano: Option<Value>,
    pub end_time_unix_nano: Option<Value>,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: Option<Value>,
    pub events: Vec<EventJson>,
    pub dropped_events_count: Option<Value>,
    pub links: Vec<LinkJson>,
    pub dropped_links_count: Option<Value>,
    pub status: StatusJson,
}

/// A span event as OTLP/JSON writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct EventJson {
    pub time_unix_nano: Option<Value>,
    pub name: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: Option<Value>,
}

/// A span link as OTLP/JSON writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct LinkJson {
    pub trace_id: String,
    pub span_id: String,
    pub trace_state: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: Option<Value>,
    pub flags: Option<Value>,
}

/// A span status as OTLP/JSON writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct StatusJson {
    pub code: Option<Value>,
    pub message: String,
}

/// The attributes of an OTLP/JSON key-value list.
pub fn attributes_of(kvs: &[KeyValue]) -> Result<Vec<Attribute>, String> {
    kvs.iter()
        .map(|kv| {
            let value = match &kv.value {
                None | Some(Value::Null) => AnyValue::Empty,
                Some(v) => AnyValue::from_json(v).map_err(|e| format!("attribute {:?}: {e}", kv.key))?,
            };
            Ok(Attribute::new(kv.key.clone(), value))
        })
        .collect()
}

fn u32_of(v: Option<&Value>, what: &str) -> Result<u32, String> {
    let n = u64_of(v).map_err(|e| format!("{what}: {e}"))?;
    u32::try_from(n).map_err(|_| format!("{what}: {n} does not fit 32 bits"))
}

fn time_of(v: Option<&Value>, what: &str) -> Result<i64, String> {
    let n = u64_of(v).map_err(|e| format!("{what}: {e}"))?;
    i64::try_from(n).map_err(|_| format!("{what}: {n} is out of range (years 1677 to 2262)"))
}

/// An enum given as its number or its OTLP name.
fn enum_of<T>(
    v: Option<&Value>,
    what: &str,
    by_number: fn(i64) -> Option<T>,
    by_name: fn(&str) -> Option<T>,
    default: T,
) -> Result<T, String> {
    match v {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(by_number)
            .ok_or_else(|| format!("{what} {n} is not a valid value")),
        Some(Value::String(s)) => by_name(s).ok_or_else(|| format!("{what} {s:?} is not a valid value")),
        Some(other) => Err(format!("{what} {other} is not a valid value")),
    }
}

fn optional_span_id(text: &str, what: &str) -> Result<Option<SpanId>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let id = SpanId::parse(text).map_err(|e| format!("{what}: {e}"))?;
    Ok((id.0 != [0; 8]).then_some(id))
}

/// The spans of one `TracesData`, in message order. Fails on the first span that is
/// malformed: ids that are not hex of the right length (or all zero), a missing start,
/// an end before the start, values of the wrong kind.
pub fn spans_of(data: TracesData) -> Result<Vec<Span>, String> {
    let mut out = Vec::new();
    for rs in data.resource_spans {
        let resource = Arc::new(Resource {
            attributes: attributes_of(&rs.resource.attributes)?,
            dropped_attributes_count: u32_of(
                rs.resource.dropped_attributes_count.as_ref(),
                "resource droppedAttributesCount",
            )?,
            schema_url: rs.schema_url,
        });
        for ss in rs.scope_spans {
            let scope = Arc::new(Scope {
                name: ss.scope.name,
                version: ss.scope.version,
                attributes: attributes_of(&ss.scope.attributes)?,
                dropped_attributes_count: u32_of(
                    ss.scope.dropped_attributes_count.as_ref(),
                    "scope droppedAttributesCount",
                )?,
                schema_url: ss.schema_url,
            });
            for s in ss.spans {
                out.push(span_of(s, &resource, &scope)?);
            }
        }
    }
    Ok(out)
}

fn span_of(s: SpanJson, resource: &Arc<Resource>, scope: &Arc<Scope>) -> Result<Span, String> {
    let trace_id = TraceId::parse(&s.trace_id)?;
    let span_id = SpanId::parse(&s.span_id)?;
    let start = time_of(s.start_time_unix_nano.as_ref(), "startTimeUnixNano")?;
    let end = time_of(s.end_time_unix_nano.as_ref(), "endTimeUnixNano")?;
    let events = s
        .events
        .into_iter()
        .map(event_of)
        .collect::<Result<_, String>>()?;
    let links = s.links.into_iter().map(link_of).collect::<Result<_, String>>()?;
    let span = Span {
        trace_id,
        span_id,
        parent_span_id: optional_span_id(&s.parent_span_id, "parentSpanId")?,
        trace_state: s.trace_state,
        flags: u32_of(s.flags.as_ref(), "flags")?,
        name: s.name,
        kind: enum_of(
            s.kind.as_ref(),
            "kind",
            SpanKind::from_number,
            SpanKind::from_otlp_name,
            SpanKind::Unspecified,
        )?,
        start,
        end,
        status_code: enum_of(
            s.status.code.as_ref(),
            "status code",
            StatusCode::from_number,
            StatusCode::from_otlp_name,
            StatusCode::Unset,
        )?,
        status_message: s.status.message,
        attributes: attributes_of(&s.attributes)?,
        dropped_attributes_count: u32_of(s.dropped_attributes_count.as_ref(), "droppedAttributesCount")?,
        events,
        dropped_events_count: u32_of(s.dropped_events_count.as_ref(), "droppedEventsCount")?,
        links,
        dropped_links_count: u32_of(s.dropped_links_count.as_ref(), "droppedLinksCount")?,
        resource: resource.clone(),
        scope: scope.clone(),
    };
    check_span(&span)?;
    Ok(span)
}

/// Inserts `key: value` unless the value is the protocol's default (0, "", []).
fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    let default = match &value {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Number(n) => n.as_u64() == Some(0),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !default {
        map.insert(key.to_string(), value);
    }
}

/// A span's events as an OTLP/JSON array.
pub fn events_json(events: &[Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                let mut m = Map::new();
                put(&mut m, "timeUnixNano", Value::from(e.time_unix_nano.to_string()));
                put(&mut m, "name", Value::from(e.name.as_str()));
                put(
                    &mut m,
                    "attributes",
                    Value::Array(attributes_to_json(&e.attributes)),
                );
                put(
                    &mut m,
                    "droppedAttributesCount",
                    Value::from(e.dropped_attributes_count),
                );
                Value::Object(m)
            })
            .collect(),
    )
}

/// A span's links as an OTLP/JSON array.
pub fn links_json(links: &[Link]) -> Value {
    Value::Array(
        links
            .iter()
            .map(|l| {
                let mut m = Map::new();
                put(&mut m, "traceId", Value::from(l.trace_id.to_string()));
                put(&mut m, "spanId", Value::from(l.span_id.to_string()));
                put(&mut m, "traceState", Value::from(l.trace_state.as_str()));
                put(
                    &mut m,
                    "attributes",
                    Value::Array(attributes_to_json(&l.attributes)),
                );
                put(
                    &mut m,
                    "droppedAttributesCount",
                    Value::from(l.dropped_attributes_count),
                );
                put(&mut m, "flags", Value::from(l.flags));
                Value::Object(m)
            })
            .collect(),
    )
}

fn event_of(e: EventJson) -> Result<Event, String> {
    Ok(Event {
        time_unix_nano: time_of(e.time_unix_nano.as_ref(), "event timeUnixNano")?,
        name: e.name,
        attributes: attributes_of(&e.attributes)?,
        dropped_attributes_count: u32_of(
            e.dropped_attributes_count.as_ref(),
            "event droppedAttributesCount",
        )?,
    })
}

fn link_of(l: LinkJson) -> Result<Link, String> {
    Ok(Link {
        trace_id: TraceId::parse(&l.trace_id).map_err(|e| format!("link: {e}"))?,
        span_id: SpanId::parse(&l.span_id).map_err(|e| format!("link: {e}"))?,
        trace_state: l.trace_state,
        attributes: attributes_of(&l.attributes)?,
        dropped_attributes_count: u32_of(l.dropped_attributes_count.as_ref(), "link droppedAttributesCount")?,
        flags: u32_of(l.flags.as_ref(), "link flags")?,
    })
}

/// Reads back an array [`events_json`] wrote.
pub fn events_from_json(text: &str) -> Result<Vec<Event>, String> {
    let events: Vec<EventJson> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    events.into_iter().map(event_of).collect()
}

/// Reads back an array [`links_json`] wrote.
pub fn links_from_json(text: &str) -> Result<Vec<Link>, String> {
    let links: Vec<LinkJson> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    links.into_iter().map(link_of).collect()
}

/// One span as OTLP/JSON.
pub fn span_json(s: &Span) -> Value {
    let mut m = Map::new();
    put(&mut m, "traceId", Value::from(s.trace_id.to_string()));
    put(&mut m, "spanId", Value::from(s.span_id.to_string()));
    put(&mut m, "traceState", Value::from(s.trace_state.as_str()));
    if let Some(p) = s.parent_span_id {
        put(&mut m, "parentSpanId", Value::from(p.to_string()));
    }
    put(&mut m, "flags", Value::from(s.flags));
    put(&mut m, "name", Value::from(s.name.as_str()));
    put(&mut m, "kind", Value::from(s.kind.number()));
    put(&mut m, "startTimeUnixNano", Value::from(s.start.to_string()));
    put(&mut m, "endTimeUnixNano", Value::from(s.end.to_string()));
    put(
        &mut m,
        "attributes",
        Value::Array(attributes_to_json(&s.attributes)),
    );
    put(
        &mut m,
        "droppedAttributesCount",
        Value::from(s.dropped_attributes_count),
    );
    put(&mut m, "events", events_json(&s.events));
    put(&mut m, "droppedEventsCount", Value::from(s.dropped_events_count));
    put(&mut m, "links", links_json(&s.links));
    put(&mut m, "droppedLinksCount", Value::from(s.dropped_links_count));
    let mut status = Map::new();
    put(&mut status, "message", Value::from(s.status_message.as_str()));
    put(&mut status, "code", Value::from(s.status_code.number()));
    m.insert("status".to_string(), Value::Object(status));
    Value::Object(m)
}

/// `spans` as OTLP/JSON `resourceSpans`: grouped by resource, then by scope, in the
/// order each resource and scope first appears.
pub fn resource_spans_json(spans: &[Span]) -> Vec<Value> {
    let groups = by_resource_and_scope(spans)
        .into_iter()
        .map(|(resource, scopes)| {
            let scopes = scopes
                .into_iter()
                .map(|(scope, spans)| (scope, spans.into_iter().map(span_json).collect::<Vec<_>>()))
                .collect::<Vec<_>>();
            (resource, scopes)
        });
    groups
        .map(|(resource, scopes)| {
            let mut r = Map::new();
            put(
                &mut r,
                "attributes",
                Value::Array(attributes_to_json(&resource.attributes)),
            );
            put(
                &mut r,
                "droppedAttributesCount",
                Value::from(resource.dropped_attributes_count),
            );
            let scope_spans: Vec<Value> = scopes
                .into_iter()
                .map(|(scope, spans)| {
                    let mut sc = Map::new();
                    put(&mut sc, "name", Value::from(scope.name.as_str()));
                    put(&mut sc, "version", Value::from(scope.version.as_str()));
                    put(
                        &mut sc,
                        "attributes",
                        Value::Array(attributes_to_json(&scope.attributes)),
                    );
                    put(
                        &mut sc,
                        "droppedAttributesCount",
                        Value::from(scope.dropped_attributes_count),
                    );
                    let mut m = Map::new();
                    m.insert("scope".to_string(), Value::Object(sc));
                    m.insert("spans".to_string(), Value::Array(spans));
                    put(&mut m, "schemaUrl", Value::from(scope.schema_url.as_str()));
                    Value::Object(m)
                })
                .collect();
            let mut m = Map::new();
            m.insert("resource".to_string(), Value::Object(r));
            m.insert("scopeSpans".to_string(), Value::Array(scope_spans));
            put(&mut m, "schemaUrl", Value::from(resource.schema_url.as_str()));
            Value::Object(m)
        })
        .collect()
}

/// `spans` as one `TracesData` message.
pub fn traces_data_json(spans: &[Span]) -> Value {
    json!({ "resourceSpans": resource_spans_json(spans) })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const LINE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeSpans":[{"scope":{"name":"otel.http","version":"1.0"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"","name":"GET /cart","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1767323045000000000","endTimeUnixNano":1767323045250000000,"attributes":[{"key":"http.route","value":{"stringValue":"/cart"}},{"key":"http.response.status_code","value":{"intValue":"500"}}],"events":[{"timeUnixNano":"1767323045100000000","name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"boom"}}]}],"status":{"code":2,"message":"boom"}}]}]}]}"#;

    #[test]
    fn reads_a_collector_line() {
        let data: TracesData = serde_json::from_str(LINE).unwrap();
        let spans = spans_of(data).unwrap();
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(s.trace_id.to_string(), "5b8efff798038103d269b633813fc60c");
        assert_eq!(s.parent_span_id, None);
        assert_eq!(s.kind, SpanKind::Server);
        assert_eq!(s.status_code, StatusCode::Error);
        assert_eq!(s.duration(), 250_000_000);
        assert_eq!(s.service_name(), "checkout");
        assert_eq!(s.events[0].name, "exception");
        let again = spans_of(serde_json::from_value(traces_data_json(&spans)).unwrap()).unwrap();
        assert_eq!(again, spans);
    }

    #[test]
    fn malformed_spans_say_what_is_wrong() {
        let bad = |from: &str, to: &str| {
            let data: TracesData = serde_json::from_str(&LINE.replace(from, to)).unwrap();
            spans_of(data).unwrap_err()
        };
        assert!(bad("5B8EFFF798038103D269B633813FC60C", "5B8E").contains("not 32 hex digits"));
        assert!(bad("1767323045250000000", "1767323044000000000").contains("before it starts"));
        assert!(bad("SPAN_KIND_SERVER", "SPAN_KIND_BOSS").contains("kind"));
        assert!(bad(r#""code":2"#, r#""code":7"#).contains("status code 7"));
    }
}
