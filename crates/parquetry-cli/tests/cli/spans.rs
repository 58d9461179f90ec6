//! Spans: ingest, one trace as a waterfall or OTLP/JSON, export in both OTLP formats,
//! TraceQL, the span metrics in PromQL, and bad input.

use super::{parquetry, stderr, stdout};
use std::path::Path;

/// One trace over two services: a server span, a client call under it and the database
/// call under that, which failed.
const TRACE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},"scopeSpans":[{"scope":{"name":"http"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"GET /cart","kind":2,"startTimeUnixNano":"1767571200000000000","endTimeUnixNano":"1767571200250000000","status":{"code":2,"message":"upstream failed"}},{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1111111111111111","parentSpanId":"00f067aa0ba902b7","name":"call cart","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1767571200010000000","endTimeUnixNano":"1767571200240000000"}]}]}]}
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"2222222222222222","parentSpanId":"1111111111111111","name":"SELECT cart","kind":3,"startTimeUnixNano":"1767571200020000000","endTimeUnixNano":"1767571200230000000","attributes":[{"key":"db.system","value":{"stringValue":"postgresql"}}],"status":{"code":"STATUS_CODE_ERROR","message":"timeout"}}]}]}]}
"#;

/// The trace of `TRACE` in upper case, as users paste it.
const ID: &str = "4BF92F3577B34DA6A3CE929D0E0E4736";

/// A store in `dir` holding `TRACE` and one log line of its database span.
fn traced_store(dir: &Path) -> String {
    let store = dir.join("store").display().to_string();
    let spans = dir.join("spans.jsonl");
    std::fs::write(&spans, TRACE).unwrap();
    let o = parquetry(&["ingest", "--store", &store, spans.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("3 spans in 1 trace(s)"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let logs = dir.join("logs.jsonl");
    std::fs::write(
        &logs,
        r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1767571200229000000","body":{"stringValue":"query timed out"},"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"2222222222222222"}]}]}]}"#,
    )
    .unwrap();
    let o = parquetry(&["ingest", "--store", &store, logs.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    store
}

/// The trace as `parquetry trace --format json` prints it from `store`.
fn trace_json(store: &str) -> serde_json::Value {
    let o = parquetry(&["trace", "--store", store, "--format", "json", ID]);
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn a_trace_is_a_waterfall_with_its_log_lines_or_otlp_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = traced_store(dir.path());
    let o = parquetry(&["trace", "--store", &store, "--logs", ID]);
    let tree = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        tree.starts_with(
            "trace 4bf92f3577b34da6a3ce929d0e0e4736: 3 span(s), 2 service(s), 250.00ms, 2 error(s)"
        ),
        "{tree}"
    );
    let rows: Vec<&str> = tree.lines().skip(2).collect();
    assert!(
        rows[0].ends_with("GET /cart [frontend] server  ✗ error: upstream failed"),
        "{tree}"
    );
    assert!(rows[1].contains("  call cart [frontend] client"), "{tree}");
    assert!(
        rows[2].contains("    SELECT cart [cart] client  ✗ error: timeout"),
        "{tree}"
    );
    assert!(
        rows[3].contains("      ▸ query timed out") && rows[3].contains("+229.00ms"),
        "{tree}"
    );

    let json = trace_json(&store);
    assert_eq!(json["batches"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["batches"][1]["scopeSpans"][0]["spans"][0]["attributes"][0]["key"],
        "db.system"
    );
}

#[test]
fn spans_export_in_both_otlp_formats_and_ingest_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = traced_store(dir.path());
    let json = trace_json(&store);
    let o = parquetry(&[
        "export",
        "--store",
        &store,
        "--signal",
        "spans",
        "--format",
        "otlp-json",
    ]);
    let exported = stdout(&o);
    assert_eq!(exported.lines().count(), 1, "one trace, one line");
    let again = dir.path().join("again.jsonl");
    std::fs::write(&again, &exported).unwrap();
    let other = dir.path().join("other").display().to_string();
    let o = parquetry(&["ingest", "--store", &other, again.to_str().unwrap()]);
    assert!(stdout(&o).contains("3 spans"), "{}", stderr(&o));
    assert_eq!(trace_json(&other), json);

    let proto = dir.path().join("traces.binpb");
    let o = parquetry(&[
        "export",
        "--store",
        &store,
        "--signal",
        "spans",
        "--format",
        "otlp-proto",
        "--output",
        proto.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_proto = dir.path().join("from-proto").display().to_string();
    let o = parquetry(&["ingest", "--store", &from_proto, proto.to_str().unwrap()]);
    assert!(stdout(&o).contains("3 spans"), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(trace_json(&from_proto), json);
}

#[test]
fn traceql_searches_draws_metrics_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let store = traced_store(dir.path());
    let o = parquetry(&[
        "traceql",
        "--store",
        &store,
        "{ resource.service.name = \"cart\" && status = error } | select(span.db.system)",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "{table}");
    assert!(table.contains("GET /cart"), "{table}");
    assert!(
        table.contains("1 traces (1 traces, 3 spans inspected)"),
        "{table}"
    );
    let o = parquetry(&[
        "traceql",
        "--store",
        &store,
        "--format",
        "json",
        "{ kind = client } >> { span.db.system = \"postgresql\" }",
    ]);
    let found: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let set = &found["traces"][0]["spanSets"][0];
    assert_eq!(set["spans"][0]["spanID"], "2222222222222222", "{found}");
    assert_eq!(set["spans"][0]["attributes"][1]["key"], "db.system", "{found}");
    let o = parquetry(&[
        "traceql",
        "--store",
        &store,
        "--start",
        "2026-01-05T00:00:00Z",
        "--end",
        "2026-01-05T00:01:00Z",
        "--step",
        "1m",
        "--format",
        "json",
        "{} | count_over_time() by (resource.service.name)",
    ]);
    let series: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert_eq!(series["series"].as_array().unwrap().len(), 2, "{series}");
    assert_eq!(
        series["series"][1]["promLabels"],
        "{resource.service.name=\"frontend\"}"
    );
    assert_eq!(series["series"][1]["samples"][0]["value"], 2.0);
    let o = parquetry(&[
        "traceql",
        "fmt",
        "{span:duration>1s&&trace:rootService=\"a\"}|count()>2",
    ]);
    assert_eq!(
        stdout(&o).trim(),
        "{ duration > 1s && rootServiceName = \"a\" } | count() > 2"
    );
    let o = parquetry(&["traceql", "--store", &store, "{ status = }"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("1:12: expected a value"), "{}", stderr(&o));
}

#[test]
fn span_metrics_answer_promql() {
    let dir = tempfile::tempdir().unwrap();
    let store = traced_store(dir.path());
    let o = parquetry(&[
        "query",
        "--store",
        &store,
        "--time",
        "2026-01-05T00:00:15Z",
        "sum by (service, status_code) (traces_spanmetrics_calls_total)",
    ]);
    let table = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        table.contains("{service=\"frontend\", status_code=\"STATUS_CODE_ERROR\"}  1"),
        "{table}"
    );
    assert!(
        table.contains("{service=\"frontend\", status_code=\"STATUS_CODE_UNSET\"}  1"),
        "{table}"
    );
    assert!(
        table.contains("{service=\"cart\", status_code=\"STATUS_CODE_ERROR\"}"),
        "{table}"
    );
}

#[test]
fn bad_trace_ids_and_truncated_lines_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = traced_store(dir.path());
    let o = parquetry(&["trace", "--store", &store, "4bf92f"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("trace id \"4bf92f\" is not 32 hex digits"),
        "{}",
        stderr(&o)
    );
    let o = parquetry(&["trace", "--store", &store, "00000000000000000000000000000001"]);
    assert!(stderr(&o).contains("is not in the store"), "{}", stderr(&o));
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(&truncated, &TRACE[..TRACE.len() - 30]).unwrap();
    let o = parquetry(&["ingest", "--store", &store, truncated.to_str().unwrap()]);
    assert!(stderr(&o).contains("truncated.jsonl:2:"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("truncated OTLP/JSON document"),
        "{}",
        stderr(&o)
    );
}
