//! Spans for tests.

use crate::any_value::{AnyValue, Attribute};
use crate::read::SpanStore;
use crate::span::{Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId};
use crate::writer::SpansWriter;
use parquetry_table::Storage;
use std::sync::Arc;

/// A server span `id` of trace `trace` (ids of repeated bytes), 1 µs long, of `service`.
pub fn span(trace: u8, id: u8, parent: Option<u8>, start: i64, service: &str) -> Span {
    Span {
        trace_id: TraceId([trace; 16]),
        span_id: SpanId([id; 8]),
        parent_span_id: parent.map(|p| SpanId([p; 8])),
        trace_state: String::new(),
        flags: 0,
        name: format!("op-{id}"),
        kind: SpanKind::Server,
        start,
        end: start + 1_000,
        status_code: StatusCode::Unset,
        status_message: String::new(),
        attributes: vec![Attribute::new("http.route", AnyValue::String("/x".into()))],
        dropped_attributes_count: 0,
        events: Vec::new(),
        dropped_events_count: 0,
        links: Vec::new(),
        dropped_links_count: 0,
        resource: Arc::new(Resource {
            attributes: vec![Attribute::new("service.name", AnyValue::String(service.into()))],
            ..Resource::default()
        }),
        scope: Arc::new(Scope::default()),
    }
}

/// The store in `dir` after committing each of `writes` in turn.
pub fn store_of(dir: &tempfile::TempDir, writes: Vec<Vec<Span>>) -> SpanStore {
    let storage = Storage::local(dir.path());
    for spans in writes {
        let mut w = SpansWriter::begin(&storage).unwrap();
        w.write(spans).unwrap();
        w.commit().unwrap();
    }
    SpanStore::open(&storage).unwrap()
}
