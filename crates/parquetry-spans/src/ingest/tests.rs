use super::*;
use crate::any_value::{AnyValue, Attribute};
use crate::export::{SpanExportFormat, export_spans};
use crate::otlp_json::traces_data_json;
use crate::read::SpanStore;
use crate::span::{Event, Link, Resource, Scope, SpanId, SpanKind, StatusCode, TraceId};
use crate::test_support::span;
use proptest::prelude::*;
use std::sync::Arc;

fn ingest_text(
    storage: &Storage,
    text: &str,
    options: &SpanIngestOptions,
) -> Result<SpanIngestReport, IngestError> {
    ingest_bytes(storage, text.as_bytes(), options)
}

fn ingest_bytes(
    storage: &Storage,
    bytes: &[u8],
    options: &SpanIngestOptions,
) -> Result<SpanIngestReport, IngestError> {
    ingest_span_reader(storage, Path::new("spans.jsonl"), bytes, options, &mut |_| {})
}

fn lines(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| traces_data_json(std::slice::from_ref(s)).to_string() + "\n")
        .collect()
}

const T0: i64 = 1_767_323_045_000_000_000;

#[test]
fn a_trace_split_over_files_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path());
    let root = span(1, 1, None, T0, "front");
    let child = span(1, 2, Some(1), T0 + 10, "cart");
    let other = span(2, 3, None, T0 + 5, "front");
    let options = SpanIngestOptions::default();
    let r = ingest_text(&storage, &lines(&[root.clone(), other.clone()]), &options).unwrap();
    assert_eq!((r.spans, r.traces), (2, 2));
    ingest_text(&storage, &lines(std::slice::from_ref(&child)), &options).unwrap();
    let store = SpanStore::open(&storage).unwrap();
    assert_eq!(store.trace(TraceId([1; 16])).unwrap(), [root, child]);
    assert_eq!(store.trace(TraceId([2; 16])).unwrap(), [other]);
    assert!(store.trace(TraceId([9; 16])).unwrap().is_empty());
}

#[test]
fn a_later_write_of_a_span_wins() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path());
    let first = span(1, 1, None, T0, "front");
    let mut second = first.clone();
    second.status_code = StatusCode::Error;
    let options = SpanIngestOptions::default();
    ingest_text(&storage, &lines(&[first]), &options).unwrap();
    ingest_text(&storage, &lines(&[second.clone()]), &options).unwrap();
    let store = SpanStore::open(&storage).unwrap();
    assert_eq!(store.trace(TraceId([1; 16])).unwrap(), [second]);
}

#[test]
fn bad_lines_name_file_and_line_and_commit_nothing() {
    let good = lines(&[span(1, 1, None, T0, "front")]);
    let cases = [
        (format!("{good}{}", &good[..40]), "spans.jsonl:2:", "truncated"),
        (
            good.replace("01010101010101010101010101010101", "0101"),
            "spans.jsonl:1:1",
            "not 32 hex digits",
        ),
        (
            good.replace(
                &format!("\"endTimeUnixNano\":\"{}\"", T0 + 1_000),
                "\"endTimeUnixNano\":\"5\"",
            ),
            "spans.jsonl:1:1",
            "before it starts",
        ),
    ];
    for (text, place, what) in cases {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let err = ingest_text(&storage, &text, &SpanIngestOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(place) && err.contains(what), "{err}");
        assert_eq!(SpanStore::open(&storage).unwrap().span_count(), 0);
        let skipping = SpanIngestOptions {
            skip_invalid: true,
            ..SpanIngestOptions::default()
        };
        let r = ingest_text(&storage, &text, &skipping).unwrap();
        assert_eq!(r.skipped_lines, 1, "{what}");
        assert!(r.first_skipped[0].to_string().contains(what));
    }
}

#[test]
fn protobuf_files_read_as_one_message_or_length_prefixed_ones() {
    use crate::otlp_proto::{encode_frame, traces_data};
    use prost::Message;
    let json = lines(&[
        span(1, 1, None, T0 + 10, "front"),
        span(1, 2, Some(1), T0 + 20, "cart"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let source = Storage::local(dir.path().join("json"));
    ingest_text(&source, &json, &SpanIngestOptions::default()).unwrap();
    let spans = SpanStore::open(&source).unwrap().trace(TraceId([1; 16])).unwrap();

    let single = traces_data(&spans).encode_to_vec();
    let framed = [encode_frame(&spans[..1]), encode_frame(&spans[1..])].concat();
    for (i, bytes) in [single, framed.clone()].iter().enumerate() {
        let store = Storage::local(dir.path().join(format!("proto{i}")));
        let report = ingest_bytes(&store, bytes, &SpanIngestOptions::default()).unwrap();
        assert_eq!((report.spans, report.bytes_read), (2, bytes.len() as u64));
        assert_eq!(
            SpanStore::open(&store).unwrap().trace(TraceId([1; 16])).unwrap(),
            spans
        );
    }

    let store = Storage::local(dir.path().join("bad"));
    let e = ingest_bytes(&store, &framed[..framed.len() - 3], &SpanIngestOptions::default()).unwrap_err();
    assert!(e.to_string().contains("OTLP protobuf message 2 at byte"), "{e}");
    assert!(e.to_string().contains("truncated"), "{e}");
    let mut zero = spans[1].clone();
    zero.trace_id = TraceId([0; 16]);
    let bad = [encode_frame(&spans[..1]), encode_frame(&[zero])].concat();
    let e = ingest_bytes(&store, &bad, &SpanIngestOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("message 2") && e.to_string().contains("trace id is all zeros"),
        "{e}"
    );
    assert!(
        SpanStore::open(&store).unwrap().files().is_empty(),
        "nothing committed"
    );
    let skipping = SpanIngestOptions {
        skip_invalid: true,
        ..SpanIngestOptions::default()
    };
    let report = ingest_bytes(&store, &bad, &skipping).unwrap();
    assert_eq!((report.spans, report.skipped_lines), (1, 1));
}

#[test]
fn a_pretty_printed_document_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path());
    let spans = [span(1, 1, None, T0, "front"), span(1, 2, Some(1), T0 + 1, "cart")];
    let pretty = serde_json::to_string_pretty(&traces_data_json(&spans)).unwrap();
    let r = ingest_text(&storage, &format!("\n{pretty}\n"), &SpanIngestOptions::default()).unwrap();
    assert_eq!(r.spans, 2);
    let broken = pretty.replacen("\"spanId\"", "\"spanId\" 7", 1);
    let err = ingest_text(&storage, &broken, &SpanIngestOptions::default())
        .unwrap_err()
        .to_string();
    let at = pretty.lines().position(|l| l.contains("\"spanId\"")).unwrap() + 1;
    assert!(err.contains(&format!("spans.jsonl:{at}:")), "{err}");
}

#[test]
fn batches_of_one_commit_read_back_as_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path());
    let spans: Vec<Span> = (0..10u8)
        .map(|i| span(i % 3 + 1, i + 1, None, T0 + i as i64, "front"))
        .collect();
    let options = SpanIngestOptions {
        batch_spans: 3,
        ..SpanIngestOptions::default()
    };
    let r = ingest_text(&storage, &lines(&spans), &options).unwrap();
    assert_eq!(r.spans, 10);
    let store = SpanStore::open(&storage).unwrap();
    assert_eq!(store.trace(TraceId([1; 16])).unwrap().len(), 4);
}

/// The spans in a canonical order: attributes sorted by key (promoted attributes come
/// back first; relative order among equal keys is kept), spans by trace and span id.
fn canonical(mut spans: Vec<Span>) -> Vec<Span> {
    for s in &mut spans {
        s.attributes.sort_by(|a, b| a.key.cmp(&b.key));
        let mut r = (*s.resource).clone();
        r.attributes.sort_by(|a, b| a.key.cmp(&b.key));
        s.resource = Arc::new(r);
    }
    spans.sort_by_key(|s| (s.trace_id, s.span_id));
    spans
}

fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        "[a-z/ ]{0,6}".prop_map(AnyValue::String),
        any::<i64>().prop_map(AnyValue::Int),
        (-1e6f64..1e6).prop_map(AnyValue::Double),
        any::<bool>().prop_map(AnyValue::Bool),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(AnyValue::Bytes),
        Just(AnyValue::Empty),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(AnyValue::Array),
            proptest::collection::vec(("[a-c]", inner), 0..3).prop_map(|kvs| AnyValue::KvList(
                kvs.into_iter().map(|(k, v)| Attribute::new(k, v)).collect()
            )),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Vec<Attribute>> {
    let key = prop_oneof![
        Just("http.route".to_string()),
        Just("http.response.status_code".to_string()),
        Just("db.system".to_string()),
        Just("service.name".to_string()),
        Just("k8s.pod.name".to_string()),
        "[a-z]{1,3}(\\.[a-z]{1,3})?",
    ];
    proptest::collection::vec((key, any_value()), 0..5)
        .prop_map(|kvs| kvs.into_iter().map(|(k, v)| Attribute::new(k, v)).collect())
}

prop_compose! {
    fn arb_span(resources: Vec<Arc<Resource>>)(
        trace in 1u8..4, id in any::<[u8; 8]>(), parent in proptest::option::of(any::<[u8; 8]>()),
        start in 1i64..(1 << 62), length in 0i64..1_000_000_000, name in "[a-z ]{0,8}",
        kind in 0i64..6, status in 0i64..3, message in "[a-z]{0,4}", attributes in attributes(),
        events in proptest::collection::vec((0i64..(1 << 62), "[a-z]{0,4}", attributes()), 0..2),
        links in proptest::collection::vec((any::<[u8; 16]>(), any::<[u8; 8]>(), attributes(), any::<u32>()), 0..2),
        counts in any::<[u32; 3]>(), flags in any::<u32>(), resource in 0..resources.len(),
        scope_name in "[a-z]{0,4}", scope_attributes in attributes(),
    ) -> Span {
        Span {
            trace_id: TraceId([trace; 16]),
            span_id: SpanId(id),
            parent_span_id: parent.filter(|p| *p != [0; 8]).map(SpanId),
            trace_state: String::new(),
            flags,
            name,
            kind: SpanKind::from_number(kind).unwrap(),
            start,
            end: start + length,
            status_code: StatusCode::from_number(status).unwrap(),
            status_message: message,
            attributes,
            dropped_attributes_count: counts[0],
            events: events.into_iter().map(|(t, name, attributes)| Event { time_unix_nano: t, name, attributes, dropped_attributes_count: 1 }).collect(),
            dropped_events_count: counts[1],
            links: links.into_iter().map(|(t, s, attributes, flags)| Link { trace_id: TraceId(t), span_id: SpanId(s), trace_state: "k=v".into(), attributes, dropped_attributes_count: 0, flags }).collect(),
            dropped_links_count: counts[2],
            resource: resources[resource].clone(),
            scope: Arc::new(Scope { name: scope_name, version: "1".into(), attributes: scope_attributes, dropped_attributes_count: 2, schema_url: "https://s".into() }),
        }
    }
}

fn arb_spans() -> impl Strategy<Value = Vec<Span>> {
    proptest::collection::vec(attributes(), 1..3)
        .prop_flat_map(|resource_attrs| {
            let resources: Vec<Arc<Resource>> = resource_attrs
                .into_iter()
                .map(|attributes| {
                    Arc::new(Resource {
                        attributes,
                        dropped_attributes_count: 0,
                        schema_url: String::new(),
                    })
                })
                .collect();
            proptest::collection::vec(arb_span(resources), 1..12)
        })
        .prop_map(|mut spans| {
            spans.sort_by_key(|s| (s.trace_id, s.span_id));
            spans.dedup_by_key(|s| (s.trace_id, s.span_id));
            // Every other span hangs under an earlier one of its trace (no cycles), which
            // may start before or after it.
            for i in 1..spans.len() {
                let j = i - 1 - (spans[i].flags as usize / 2) % i.min(2);
                if spans[i].flags % 2 == 0 && spans[j].trace_id == spans[i].trace_id {
                    spans[i].parent_span_id = Some(spans[j].span_id);
                }
            }
            spans
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Ingest → export → ingest keeps every span exactly, through OTLP/JSON and
    /// through OTLP protobuf alike.
    #[test]
    fn ingest_export_ingest_is_lossless(spans in arb_spans()) {
        let dir = tempfile::tempdir().unwrap();
        let first = Storage::local(dir.path().join("a"));
        ingest_text(&first, &lines(&spans), &SpanIngestOptions::default()).unwrap();
        for (i, format) in [SpanExportFormat::OtlpJson, SpanExportFormat::OtlpProto].into_iter().enumerate() {
            let mut exported = Vec::new();
            let n = export_spans(&SpanStore::open(&first).unwrap(), i64::MIN, i64::MAX, format, &mut exported, Path::new("out")).unwrap();
            prop_assert_eq!(n, spans.len() as u64);
            let second = Storage::local(dir.path().join(format!("b{i}")));
            ingest_bytes(&second, &exported, &SpanIngestOptions::default()).unwrap();
            let store = SpanStore::open(&second).unwrap();
            let mut back = Vec::new();
            for t in 1u8..4 {
                back.extend(store.trace(TraceId([t; 16])).unwrap());
            }
            prop_assert_eq!(canonical(back), canonical(spans.clone()));
        }
    }
}
