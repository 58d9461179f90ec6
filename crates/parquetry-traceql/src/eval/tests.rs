//! Searches and metrics over a small shop: one checkout trace across three services
//! (with a failed payment and a slow database call) and one health check. Every
//! operator, intrinsic and scope is checked against the spans it must find.

use super::*;
use crate::parse;
use parquetry_spans::span::{Event, Link, Resource, Scope};
use parquetry_spans::{
    AnyValue, Attribute, Span, SpanId, SpanKind, SpanStore, SpansWriter, StatusCode, TraceId,
};
use parquetry_table::Storage;
use std::sync::Arc;

const MS: i64 = 1_000_000;
/// 2024-01-01T00:00:00Z, ns.
const T0: i64 = 1_704_067_200_000 * MS;

fn resource(service: &str) -> Arc<Resource> {
    Arc::new(Resource {
        attributes: vec![
            Attribute::new("service.name", AnyValue::String(service.into())),
            Attribute::new("deployment.environment", AnyValue::String("prod".into())),
        ],
        ..Resource::default()
    })
}

struct Shop {
    frontend: Arc<Resource>,
    cart: Arc<Resource>,
    payment: Arc<Resource>,
    scope: Arc<Scope>,
}

impl Shop {
    fn new() -> Shop {
        Shop {
            frontend: resource("frontend"),
            cart: resource("cart"),
            payment: resource("payment"),
            scope: Arc::new(Scope {
                name: "io.opentelemetry.http".into(),
                version: "1.2.0".into(),
                ..Scope::default()
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn span(
        &self,
        trace: u8,
        id: u8,
        parent: Option<u8>,
        name: &str,
        kind: SpanKind,
        resource: &Arc<Resource>,
        start_ms: i64,
        duration_ms: i64,
        attributes: Vec<(&str, AnyValue)>,
    ) -> Span {
        Span {
            trace_id: TraceId([trace; 16]),
            span_id: SpanId([id; 8]),
            parent_span_id: parent.map(|p| SpanId([p; 8])),
            trace_state: String::new(),
            flags: 0,
            name: name.into(),
            kind,
            start: T0 + start_ms * MS,
            end: T0 + (start_ms + duration_ms) * MS,
            status_code: StatusCode::Unset,
            status_message: String::new(),
            attributes: attributes
                .into_iter()
                .map(|(k, v)| Attribute::new(k, v))
                .collect(),
            dropped_attributes_count: 0,
            events: Vec::new(),
            dropped_events_count: 0,
            links: Vec::new(),
            dropped_links_count: 0,
            resource: resource.clone(),
            scope: self.scope.clone(),
        }
    }

    fn spans(&self) -> Vec<Span> {
        let s = |v: &str| AnyValue::String(v.into());
        let mut spans = vec![
            self.span(
                1,
                1,
                None,
                "GET /checkout",
                SpanKind::Server,
                &self.frontend,
                0,
                900,
                vec![
                    ("http.request.method", s("GET")),
                    ("http.response.status_code", AnyValue::Int(500)),
                    ("tags", AnyValue::Array(vec![s("a"), s("b")])),
                ],
            ),
            self.span(
                1,
                2,
                Some(1),
                "cart.get",
                SpanKind::Client,
                &self.frontend,
                10,
                100,
                vec![],
            ),
            self.span(
                1,
                3,
                Some(2),
                "Cart/Get",
                SpanKind::Server,
                &self.cart,
                20,
                50,
                vec![("rpc.system", s("grpc")), ("items", AnyValue::Int(3))],
            ),
            self.span(
                1,
                4,
                Some(1),
                "charge",
                SpanKind::Client,
                &self.frontend,
                200,
                600,
                vec![],
            ),
            self.span(
                1,
                5,
                Some(4),
                "Payment/Charge",
                SpanKind::Server,
                &self.payment,
                210,
                550,
                vec![("items", AnyValue::Int(2))],
            ),
            self.span(
                1,
                6,
                Some(5),
                "SELECT payments",
                SpanKind::Client,
                &self.payment,
                300,
                400,
                vec![("db.system", s("postgresql")), ("ratio", AnyValue::Double(0.25))],
            ),
            self.span(
                2,
                1,
                None,
                "GET /health",
                SpanKind::Server,
                &self.frontend,
                60_000,
                1,
                vec![
                    ("http.request.method", s("GET")),
                    ("http.response.status_code", AnyValue::Int(200)),
                ],
            ),
        ];
        spans[4].status_code = StatusCode::Error;
        spans[4].status_message = "card declined".into();
        spans[4].events.push(Event {
            time_unix_nano: T0 + 700 * MS,
            name: "exception".into(),
            attributes: vec![Attribute::new("exception.type", s("CardError"))],
            dropped_attributes_count: 0,
        });
        spans[5].links.push(Link {
            trace_id: TraceId([2; 16]),
            span_id: SpanId([1; 8]),
            attributes: vec![Attribute::new("link.kind", s("follows"))],
            ..Link::default()
        });
        spans
    }
}

fn store() -> (tempfile::TempDir, SpanStore) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path());
    let mut w = SpansWriter::begin(&storage).unwrap();
    w.write(Shop::new().spans()).unwrap();
    w.commit().unwrap();
    let store = SpanStore::open(&storage).unwrap();
    (dir, store)
}

fn everything() -> SearchParams {
    SearchParams {
        spans_per_spanset: 100,
        ..SearchParams::new(T0, T0 + 3_600_000 * MS)
    }
}

/// The spans `q` finds, as `trace:span` numbers, sorted.
fn found(store: &SpanStore, q: &str) -> Vec<String> {
    let query = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let result = search(store, &query, &everything()).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut out: Vec<String> = result
        .traces
        .iter()
        .flat_map(|t| {
            t.spansets.iter().flat_map(move |s| {
                s.spans
                    .iter()
                    .map(move |span| format!("{}:{}", t.trace_id.0[0], span.span_id.0[0]))
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn check(store: &SpanStore, cases: &[(&str, &[&str])]) {
    for (q, want) in cases {
        assert_eq!(found(store, q), *want, "{q}");
    }
}

#[test]
fn intrinsics() {
    let (_dir, store) = store();
    check(
        &store,
        &[
            ("{}", &["1:1", "1:2", "1:3", "1:4", "1:5", "1:6", "2:1"]),
            ("{ name = \"charge\" }", &["1:4"]),
            ("{ span:name = \"charge\" }", &["1:4"]),
            ("{ status = error }", &["1:5"]),
            ("{ status != error }", &["1:1", "1:2", "1:3", "1:4", "1:6", "2:1"]),
            ("{ statusMessage = \"card declined\" }", &["1:5"]),
            ("{ kind = server }", &["1:1", "1:3", "1:5", "2:1"]),
            ("{ span:kind = client }", &["1:2", "1:4", "1:6"]),
            ("{ duration > 500ms }", &["1:1", "1:4", "1:5"]),
            ("{ duration >= 550ms && duration <= 600ms }", &["1:4", "1:5"]),
            ("{ childCount = 2 }", &["1:1"]),
            ("{ childCount = 0 && kind = client }", &["1:6"]),
            ("{ rootName = \"GET /health\" }", &["2:1"]),
            (
                "{ rootServiceName = \"frontend\" && name = \"Cart/Get\" }",
                &["1:3"],
            ),
            (
                "{ trace:rootService = \"frontend\" && span:name = \"Cart/Get\" }",
                &["1:3"],
            ),
            (
                "{ traceDuration > 800ms && kind = server }",
                &["1:1", "1:3", "1:5"],
            ),
            ("{ trace:duration < 2ms }", &["2:1"]),
            ("{ span:id = \"0606060606060606\" }", &["1:6"]),
            ("{ span:parentID = \"0505050505050505\" }", &["1:6"]),
            ("{ span:parentID = nil }", &["1:1", "2:1"]),
            ("{ trace:id = \"02020202020202020202020202020202\" }", &["2:1"]),
            ("{ event:name = \"exception\" }", &["1:5"]),
            ("{ event:timeSinceStart > 400ms }", &["1:5"]),
            ("{ event:timeSinceStart > 500ms }", &[]),
            (
                "{ link:traceID = \"02020202020202020202020202020202\" }",
                &["1:6"],
            ),
            ("{ link:spanID = \"0101010101010101\" }", &["1:6"]),
            (
                "{ instrumentation:name = \"io.opentelemetry.http\" && instrumentation:version = \"1.2.0\" && kind = server && duration < 10ms }",
                &["2:1"],
            ),
            ("{ nestedSetParent = -1 }", &["1:1", "2:1"]),
            (
                "{ nestedSetLeft > 1 && nestedSetRight < 12 && name = \"cart.get\" }",
                &["1:2"],
            ),
        ],
    );
}

#[test]
fn attributes_by_scope() {
    let (_dir, store) = store();
    check(
        &store,
        &[
            ("{ span.http.request.method = \"GET\" }", &["1:1", "2:1"]),
            ("{ resource.service.name = \"payment\" }", &["1:5", "1:6"]),
            ("{ .service.name = \"cart\" }", &["1:3"]),
            ("{ .http.response.status_code >= 500 }", &["1:1"]),
            ("{ span.service.name = \"cart\" }", &[]),
            (
                "{ resource.deployment.environment = \"prod\" && span.items > 2 }",
                &["1:3"],
            ),
            ("{ event.exception.type = \"CardError\" }", &["1:5"]),
            ("{ link.link.kind = \"follows\" }", &["1:6"]),
            ("{ instrumentation.none = 1 }", &[]),
            ("{ span.ratio = 0.25 }", &["1:6"]),
            ("{ span.ratio < 1 }", &["1:6"]),
            ("{ span.tags = \"b\" }", &["1:1"]),
            ("{ span.tags != \"c\" }", &["1:1"]),
            ("{ span.tags != \"b\" }", &[]),
        ],
    );
}

#[test]
fn comparisons_regexes_and_nil() {
    let (_dir, store) = store();
    check(
        &store,
        &[
            ("{ name =~ \"GET.*\" }", &["1:1", "2:1"]),
            ("{ name =~ \"ET\" }", &[]),
            ("{ name !~ \".*/.*\" }", &["1:2", "1:4", "1:6"]),
            ("{ span.db.system != \"mysql\" }", &["1:6"]),
            ("{ span.db.system = nil && kind = client }", &["1:2", "1:4"]),
            ("{ span.db.system != nil }", &["1:6"]),
            ("{ span.items = \"3\" }", &[]),
            ("{ name > \"R\" && name < \"T\" }", &["1:6"]),
            ("{ span.items * 2 + 1 = 7 }", &["1:3"]),
            ("{ span.items / 2 = 1.5 }", &["1:3"]),
            ("{ span.items % 2 = 0 }", &["1:5"]),
            ("{ span.items ^ 2 = 9 }", &["1:3"]),
            ("{ span.items - 5 = -3 }", &["1:5"]),
            ("{ duration * 2 > 1s }", &["1:1", "1:4", "1:5"]),
            ("{ !(kind = server) && span.db.system = nil }", &["1:2", "1:4"]),
            ("{ status = error || name = \"charge\" }", &["1:4", "1:5"]),
        ],
    );
}

#[test]
fn spanset_operators() {
    let (_dir, store) = store();
    check(
        &store,
        &[
            ("{ name = \"charge\" } && { status = error }", &["1:4", "1:5"]),
            ("{ name = \"charge\" } && { name = \"absent\" }", &[]),
            ("{ name = \"GET /health\" } || { name = \"absent\" }", &["2:1"]),
            ("{ name = \"GET /checkout\" } > {}", &["1:2", "1:4"]),
            (
                "{ name = \"GET /checkout\" } >> { kind = server }",
                &["1:3", "1:5"],
            ),
            ("{ name = \"Cart/Get\" } < {}", &["1:2"]),
            ("{ name = \"SELECT payments\" } << {}", &["1:1", "1:4", "1:5"]),
            ("{ name = \"cart.get\" } ~ {}", &["1:4"]),
            ("{ kind = client } !> { kind = server }", &["1:1", "2:1"]),
            (
                "{ name = \"charge\" } !>> {}",
                &["1:1", "1:2", "1:3", "1:4", "2:1"],
            ),
            ("{ kind = server } !< { kind = client }", &["1:6"]),
            ("{ status = error } !<< { kind = client }", &["1:2", "1:6"]),
            ("{ name = \"cart.get\" } !~ { kind = client }", &["1:2", "1:6"]),
            ("{ name = \"charge\" } &> {}", &["1:4", "1:5"]),
            ("{ name = \"charge\" } &>> { kind = client }", &["1:4", "1:6"]),
            ("{ name = \"Cart/Get\" } &< {}", &["1:2", "1:3"]),
            ("{ name = \"Cart/Get\" } &<< { kind = server }", &["1:1", "1:3"]),
            ("{ name = \"cart.get\" } &~ {}", &["1:2", "1:4"]),
            (
                "{ resource.service.name = \"frontend\" } > { resource.service.name = \"payment\" } > { span.db.system = \"postgresql\" }",
                &["1:6"],
            ),
        ],
    );
}

#[test]
fn pipelines() {
    let (_dir, store) = store();
    check(
        &store,
        &[
            ("{} | count() > 5", &["1:1", "1:2", "1:3", "1:4", "1:5", "1:6"]),
            ("{} | count() = 1", &["2:1"]),
            (
                "{ kind = server } | avg(duration) > 400ms",
                &["1:1", "1:3", "1:5"],
            ),
            (
                "{ kind = server } | min(duration) < 60ms",
                &["1:1", "1:3", "1:5", "2:1"],
            ),
            ("{ kind = server } | max(duration) < 10ms", &["2:1"]),
            (
                "{} | sum(span.items) = 5",
                &["1:1", "1:2", "1:3", "1:4", "1:5", "1:6"],
            ),
            ("{} | sum(span.items) > 5", &[]),
            ("{ kind = server } | { status = error }", &["1:5"]),
            (
                "({ kind = server } | count() > 2) && { status = error }",
                &["1:1", "1:3", "1:5"],
            ),
            ("{} | by(resource.service.name) | count() = 2", &["1:5", "1:6"]),
            (
                "{} | avg(duration) > 2 * min(duration)",
                &["1:1", "1:2", "1:3", "1:4", "1:5", "1:6"],
            ),
        ],
    );
    let q = parse("{ kind = server } | by(resource.service.name) | select(span.items) | coalesce()").unwrap();
    let result = search(&store, &q, &everything()).unwrap();
    assert!(result.traces.iter().all(|t| t.spansets.len() == 1));
    let q = parse("{} | by(resource.service.name) | select(span.items)").unwrap();
    let result = search(&store, &q, &everything()).unwrap();
    let checkout = result.traces.iter().find(|t| t.trace_id.0[0] == 1).unwrap();
    let groups: Vec<String> = checkout
        .spansets
        .iter()
        .map(|s| format!("{}={}", s.attributes[0].0, s.attributes[0].1.to_text()))
        .collect();
    assert_eq!(
        groups,
        [
            "by(resource.service.name)=frontend",
            "by(resource.service.name)=cart",
            "by(resource.service.name)=payment"
        ]
    );
    let cart = &checkout.spansets[1].spans[0];
    assert_eq!(
        cart.attributes,
        vec![
            ("service.name".to_string(), value::Value::Str("cart".into())),
            ("items".to_string(), value::Value::Int(3)),
        ],
        "the fields the query names"
    );
}

#[test]
fn search_response_is_newest_first_limited_and_shaped_like_tempo() {
    let (_dir, store) = store();
    let q = parse("{ kind = server }").unwrap();
    let params = SearchParams {
        limit: 1,
        spans_per_spanset: 2,
        ..everything()
    };
    let result = search(&store, &q, &params).unwrap();
    assert_eq!(result.traces.len(), 1);
    assert_eq!(result.traces[0].trace_id, TraceId([2; 16]), "the newest trace");
    let result = search(&store, &q, &SearchParams { limit: 5, ..params }).unwrap();
    let checkout = &result.traces[1];
    assert_eq!(checkout.spansets[0].matched, 3);
    assert_eq!(checkout.spansets[0].spans.len(), 2);
    assert_eq!((result.inspected_traces, result.inspected_spans), (2, 7));
    let json = result.to_tempo_json();
    let t = &json["traces"][1];
    assert_eq!(t["traceID"], "01010101010101010101010101010101");
    assert_eq!(t["rootServiceName"], "frontend");
    assert_eq!(t["rootTraceName"], "GET /checkout");
    assert_eq!(t["startTimeUnixNano"], T0.to_string());
    assert_eq!(t["durationMs"], 900);
    assert_eq!(t["spanSet"]["matched"], 3);
    assert_eq!(t["spanSets"][0]["spans"][0]["spanID"], "0101010101010101");
    assert_eq!(
        t["spanSets"][0]["spans"][0]["durationNanos"],
        (900 * MS).to_string()
    );
    assert_eq!(t["spanSets"][0]["spans"][0]["attributes"][0]["key"], "kind");
    assert_eq!(json["metrics"]["inspectedTraces"], 2);
    let later = SearchParams::new(T0 + 30_000 * MS, T0 + 3_600_000 * MS);
    assert_eq!(
        search(&store, &q, &later).unwrap().traces.len(),
        1,
        "the range bounds the traces"
    );
}

#[test]
fn bad_regexes_and_the_wrong_kind_of_query_are_refused() {
    let (_dir, store) = store();
    let q = parse("{ name =~ \"(\" }").unwrap();
    let e = search(&store, &q, &everything()).unwrap_err();
    assert!(e.to_string().contains("invalid regular expression \"(\""), "{e}");
    let q = parse("{} | rate()").unwrap();
    assert!(search(&store, &q, &everything()).is_err());
    let q = parse("{}").unwrap();
    let params = MetricsParams {
        start_ns: T0,
        end_ns: T0 + 1,
        step_ns: MS,
    };
    assert!(run_metrics(&store, &q, &params).is_err());
}

#[test]
fn a_cancelled_search_or_metrics_query_stops_with_cancelled() {
    let (_dir, store) = store();
    let cancel = Cancel::new();
    cancel.cancel();
    let q = parse("{ kind = server }").unwrap();
    let e = search_until(&store, &q, &everything(), &cancel).unwrap_err();
    assert!(matches!(e, EvalError::Cancelled), "{e}");
    let q = parse("{} | rate()").unwrap();
    let params = MetricsParams {
        start_ns: T0,
        end_ns: T0 + 120_000 * MS,
        step_ns: 60_000 * MS,
    };
    let e = run_metrics_until(&store, &q, &params, &cancel).unwrap_err();
    assert!(matches!(e, EvalError::Cancelled), "{e}");
    assert!(
        run_metrics(&store, &q, &params).is_ok(),
        "the same query, not cancelled"
    );
}

fn series(store: &SpanStore, q: &str, step_ms: i64) -> Vec<(String, Vec<(i64, f64)>)> {
    let query = parse(q).unwrap();
    let params = MetricsParams {
        start_ns: T0,
        end_ns: T0 + 120_000 * MS,
        step_ns: step_ms * MS,
    };
    run_metrics(store, &query, &params)
        .unwrap()
        .series
        .into_iter()
        .map(|s| {
            let points = s.points.iter().map(|(t, v)| ((t - T0 / MS) / 1000, *v)).collect();
            (metrics::prom_labels(&s.labels), points)
        })
        .collect()
}

#[test]
fn metrics_functions() {
    let (_dir, store) = store();
    assert_eq!(
        series(
            &store,
            "{ kind = server } | count_over_time() by (resource.service.name)",
            60_000
        ),
        vec![
            ("{resource.service.name=\"cart\"}".to_string(), vec![(0, 1.0)]),
            (
                "{resource.service.name=\"frontend\"}".to_string(),
                vec![(0, 1.0), (60, 1.0)]
            ),
            ("{resource.service.name=\"payment\"}".to_string(), vec![(0, 1.0)]),
        ]
    );
    assert_eq!(
        series(&store, "{} | rate()", 60_000),
        vec![("{}".to_string(), vec![(0, 0.1), (60, 1.0 / 60.0)])]
    );
    assert_eq!(
        series(&store, "{ kind = server } | max_over_time(duration)", 60_000),
        vec![("{}".to_string(), vec![(0, 0.9), (60, 0.001)])]
    );
    assert_eq!(
        series(&store, "{ kind = server } | min_over_time(duration)", 60_000),
        vec![("{}".to_string(), vec![(0, 0.05), (60, 0.001)])]
    );
    assert_eq!(
        series(&store, "{} | sum_over_time(span.items)", 60_000),
        vec![("{}".to_string(), vec![(0, 5.0)])]
    );
    assert_eq!(
        series(&store, "{} | avg_over_time(span.items)", 60_000),
        vec![("{}".to_string(), vec![(0, 2.5)])]
    );
    assert_eq!(
        series(
            &store,
            "{ kind = server && traceDuration > 1s } | quantile_over_time(duration, 0.5)",
            60_000
        ),
        vec![]
    );
    assert_eq!(
        series(
            &store,
            "{ kind = server } | quantile_over_time(duration, 0, 0.5, 1) by (rootName)",
            60_000
        )
        .into_iter()
        .filter(|(labels, _)| labels.contains("checkout"))
        .collect::<Vec<_>>(),
        [
            (
                "{p=\"0\", rootName=\"GET /checkout\"}".to_string(),
                vec![(0, 0.05)]
            ),
            (
                "{p=\"0.5\", rootName=\"GET /checkout\"}".to_string(),
                vec![(0, 0.55)]
            ),
            (
                "{p=\"1\", rootName=\"GET /checkout\"}".to_string(),
                vec![(0, 0.9)]
            ),
        ]
    );
    assert_eq!(
        series(
            &store,
            "{ resource.service.name = \"payment\" } | histogram_over_time(duration)",
            60_000
        ),
        vec![
            ("{__bucket=\"0.5\"}".to_string(), vec![(0, 1.0)]),
            ("{__bucket=\"1\"}".to_string(), vec![(0, 1.0)]),
        ]
    );
    assert_eq!(
        series(
            &store,
            "{} | count_over_time() by (resource.service.name) | topk(1)",
            60_000
        ),
        vec![(
            "{resource.service.name=\"frontend\"}".to_string(),
            vec![(0, 3.0), (60, 1.0)]
        )]
    );
    assert_eq!(
        series(
            &store,
            "{ kind = server } | count_over_time() by (resource.service.name) | bottomk(1)",
            60_000
        )
        .into_iter()
        .map(|(_, p)| p.len())
        .sum::<usize>(),
        2,
        "one series per step"
    );
    assert_eq!(
        series(
            &store,
            "{ status = error } | count_over_time() by (span.missing)",
            1_000
        ),
        vec![("{}".to_string(), vec![(0, 1.0)])],
        "a span without the field has no such label"
    );
    let json = run_metrics(
        &store,
        &parse("{} | rate() by (name)").unwrap(),
        &MetricsParams {
            start_ns: T0,
            end_ns: T0 + 60_000 * MS,
            step_ns: 60_000 * MS,
        },
    )
    .unwrap()
    .to_tempo_json();
    assert_eq!(json["series"][0]["labels"][0]["key"], "name");
    assert_eq!(
        json["series"][0]["samples"][0]["timestampMs"],
        (T0 / MS).to_string()
    );
}
