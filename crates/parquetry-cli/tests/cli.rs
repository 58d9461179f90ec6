//! The `parquetry` binary end to end: ingest, series, export, query, and clear errors for
//! malformed input that leave the store as it was.

use std::path::Path;
use std::process::{Command, Output};

fn parquetry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parquetry"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GOOD: &str = "# TYPE up gauge\nup{job=\"api\",instance=\"a\"} 1 1767571200\nup{job=\"api\",instance=\"a\"} 0 1767571215\n# EOF\n";

fn store_with_good_data(dir: &Path) -> String {
    let input = dir.join("good.om");
    std::fs::write(&input, GOOD).unwrap();
    let store = dir.join("store").display().to_string();
    let o = parquetry(&["ingest", "--store", &store, input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 series, 2 samples"), "{}", stdout(&o));
    store
}

#[test]
fn ingest_series_export_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_good_data(dir.path());
    let o = parquetry(&["series", "--store", &store, "up"]);
    assert!(
        stdout(&o).contains(r#"up{instance="a", job="api"}"#),
        "{}",
        stdout(&o)
    );
    let o = parquetry(&["export", "--store", &store, "--format", "csv"]);
    assert_eq!(
        stdout(&o),
        "metric,labels,timestamp_ms,value\nup,\"{instance=\"\"a\"\", job=\"\"api\"\"}\",1767571200000,1\nup,\"{instance=\"\"a\"\", job=\"\"api\"\"}\",1767571215000,0\n"
    );
    let o = parquetry(&["query", "--store", &store, "--time", "2026-01-05T00:04:00Z", "up"]);
    assert!(stdout(&o).contains("0\n"), "{}", stdout(&o));
    let o = parquetry(&["query", "--store", &store, "--time", "2026-01-05T00:06:00Z", "up"]);
    assert!(
        stdout(&o).contains("0 series"),
        "past the lookback: {}",
        stdout(&o)
    );
}

#[test]
fn malformed_inputs_are_positioned_errors_and_commit_nothing() {
    let cases = [
        (
            "truncated.om",
            "up{job=\"a\"} 1 1767571200\nup{job=\"a\"} 2 17675",
            ":3:1: expected '# EOF'",
        ),
        (
            "labels.om",
            "up{job=\"a\"} 1 1767571200\nup{job=\"a\",} 1 1\nup{job=a} 1 1\n# EOF\n",
            ":3:8: expected '\"'",
        ),
        (
            "value.om",
            "up{job=\"a\"} one 1767571200\n# EOF\n",
            ":1:13: invalid value \"one\"",
        ),
        (
            "eof.om",
            "up{job=\"a\"} 1 1767571200\n",
            "expected '# EOF' as the last line",
        ),
        (
            "timestamp.om",
            "up{job=\"a\"} 1 2026-01-05\n# EOF\n",
            ":1:15: invalid timestamp \"2026-01-05\"",
        ),
        (
            "rows.jsonl",
            "{\"metric\":\"up\",\"timestamp_ms\":1,\"value\":1}\n{\"metric\":\"up\"}\n",
            ":2:",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_good_data(dir.path());
    for (name, text, expected) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, text).unwrap();
        let o = parquetry(&["ingest", "--store", &store, input.to_str().unwrap()]);
        assert!(!o.status.success(), "{name} must fail");
        let err = stderr(&o);
        assert!(err.contains(name) && err.contains(expected), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        // The store still holds exactly the good data.
        let o = parquetry(&["export", "--store", &store]);
        assert_eq!(stdout(&o).lines().count(), 2, "{name} changed the store");
    }
}

#[test]
fn skip_invalid_counts_bad_lines_and_keeps_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.prom");
    std::fs::write(
        &input,
        "up{job=\"a\"} 1 1000\nup{job=\"a\" 2 2000\nup{job=\"a\"} 3 3000\n",
    )
    .unwrap();
    let store = dir.path().join("store").display().to_string();
    let o = parquetry(&[
        "ingest",
        "--store",
        &store,
        "--skip-invalid",
        input.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("2 samples") && stdout(&o).contains("skipped 1 malformed line"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("mixed.prom:2:"), "{}", stderr(&o));
}

#[test]
fn bad_selectors_and_missing_stores_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_good_data(dir.path());
    let o = parquetry(&["series", "--store", &store, "up{job=~\"(\"}"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("invalid regular expression"),
        "{}",
        stderr(&o)
    );
    let o = parquetry(&["series", "--store", &store, "{job=\"\"}"]);
    assert!(
        stderr(&o).contains("at least one non-empty matcher"),
        "{}",
        stderr(&o)
    );
    let missing = dir.path().join("nope").display().to_string();
    let o = parquetry(&["series", "--store", &missing]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a Parquetry store"), "{}", stderr(&o));
}

#[test]
fn promql_fmt_and_ast() {
    let o = parquetry(&["promql", "fmt", "sum(rate(x[5m])) by (job)"]);
    assert_eq!(stdout(&o), "sum by (job) (rate(x[5m]))\n");
    let o = parquetry(&["promql", "ast", "up == 0"]);
    let tree: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(tree["type"], "binary");
    let o = parquetry(&["promql", "fmt", "rate(foo[5m)"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("1:12: expected ']' or ':'"), "{}", stderr(&o));
    let o = parquetry(&["promql", "fmt", "limitk(1, x)"]);
    assert!(stderr(&o).contains("experimental"), "{}", stderr(&o));
    let o = parquetry(&["promql", "fmt", "--experimental", "limitk(1, x)"]);
    assert!(o.status.success());
}

const RULES: &str = "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: up == 0\n        labels: {severity: page}\n        annotations: {summary: '{{ $labels.instance }} is down'}\n";

#[test]
fn rules_check_test_and_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_good_data(dir.path());
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, RULES).unwrap();
    let rules = rules.to_str().unwrap();

    let o = parquetry(&["rules", "check", rules]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("SUCCESS: 2 rules found"), "{}", stdout(&o));
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'sum(up'\n",
    )
    .unwrap();
    let o = parquetry(&["rules", "check", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("bad.yml:5:15: group \"g\", rule 1, \"x\": could not parse expression"),
        "{}",
        stdout(&o)
    );

    let test = dir.path().join("test.yml");
    std::fs::write(
        &test,
        "rule_files: [rules.yml]\ntests:\n  - input_series:\n      - {series: 'up{job=\"a\", instance=\"i\"}', values: '1 0 0'}\n    alert_rule_test:\n      - eval_time: 2m\n        alertname: Down\n        exp_alerts:\n          - exp_labels: {job: a, instance: i, severity: page}\n            exp_annotations: {summary: i is down}\n    promql_expr_test:\n      - {expr: job:up:sum, eval_time: 2m, exp_samples: [{labels: 'job:up:sum{job=\"a\"}', value: 0}]}\n",
    )
    .unwrap();
    let o = parquetry(&["rules", "test", test.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("2 passed, 0 failed, 0 skipped"),
        "{}",
        stdout(&o)
    );

    let o = parquetry(&[
        "rules",
        "backtest",
        "--store",
        &store,
        "--rules",
        rules,
        "--start",
        "1767571200",
        "--end",
        "1767571260",
        "--interval",
        "15s",
        "--format",
        "csv",
        "--write",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    assert!(
        csv.starts_with("alertname,labels,active_at,fired_at,resolved_at,value,annotations\n"),
        "{csv}"
    );
    assert!(csv.contains("Down,"), "{csv}");
    assert!(csv.contains("summary=a is down"), "{csv}");
    // The recorded series and ALERTS are in the store now.
    let o = parquetry(&["series", "--store", &store, "{__name__=~\"job:up:sum|ALERTS\"}"]);
    assert!(stdout(&o).contains("job:up:sum{job=\"api\"}"), "{}", stdout(&o));
    assert!(stdout(&o).contains("ALERTS{alertname=\"Down\""), "{}", stdout(&o));
}

#[test]
fn compact_retain_and_upgrade_keep_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_good_data(dir.path());
    let more = dir.path().join("more.om");
    std::fs::write(
        &more,
        "# TYPE up gauge\nup{job=\"api\",instance=\"b\"} 1 1767657600\n# EOF\n",
    )
    .unwrap();
    assert!(
        parquetry(&["ingest", "--store", &store, more.to_str().unwrap()])
            .status
            .success()
    );
    let before = stdout(&parquetry(&["series", "--store", &store, "up"]));

    let o = parquetry(&["compact", "--store", &store, "--grace", "0s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("2 segments and 2 files before"),
        "{}",
        stdout(&o)
    );
    assert_eq!(stdout(&parquetry(&["series", "--store", &store, "up"])), before);
    let o = parquetry(&["upgrade", "--store", &store]);
    assert!(stdout(&o).contains("layout 2"), "{}", stdout(&o));

    // Dropping the days before 2026-01-06 leaves the second day only.
    let o = parquetry(&[
        "retain",
        "--store",
        &store,
        "--before",
        "2026-01-06T00:00:00Z",
        "--grace",
        "0s",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 days dropped"), "{}", stdout(&o));
    let after = stdout(&parquetry(&["series", "--store", &store, "up"]));
    assert!(
        after.contains("instance=\"b\"") && !after.contains("instance=\"a\""),
        "{after}"
    );
}

#[test]
fn bad_store_locations_fail_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("nowhere").display().to_string();
    for (store, expect) in [
        ("ftp://host/store", "unknown URL scheme \"ftp\""),
        (nowhere.as_str(), "not a Parquetry store"),
    ] {
        for command in ["series", "compact"] {
            let o = parquetry(&[command, "--store", store, "up"][..if command == "series" { 4 } else { 3 }]);
            assert!(!o.status.success());
            let err = stderr(&o);
            assert!(
                err.contains(expect) && err.trim().lines().count() == 1,
                "{command} {store}: {err}"
            );
        }
    }
    // Without credentials (and with the instance metadata service switched off) an S3
    // store is refused before any request.
    let o = Command::new(env!("CARGO_BIN_EXE_parquetry"))
        .args(["series", "--store", "s3://some-bucket/prefix", "up"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("AWS_SKIP_SIGNATURE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("no AWS credentials") && err.trim().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn compact_and_retain_work_on_s3_stores() {
    let Ok(bucket) = std::env::var("PARQUETRY_TEST_S3") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run with PARQUETRY_TEST_S3 set"
        );
        eprintln!("SKIPPED compact and retain on S3: PARQUETRY_TEST_S3 is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("good.om");
    std::fs::write(&input, GOOD).unwrap();
    let store = format!("{bucket}/cli-{}", std::process::id());
    for _ in 0..2 {
        let o = parquetry(&["ingest", "--store", &store, input.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = parquetry(&["compact", "--store", &store, "--grace", "0s"]);
    assert!(
        stdout(&o).contains("1 segments and 1 files after"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = parquetry(&["series", "--store", &store, "up"]);
    assert!(stdout(&o).contains("1 series"), "{}", stdout(&o));
    let o = parquetry(&["retain", "--store", &store, "--keep", "1d", "--grace", "0s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = parquetry(&["series", "--store", &store, "up"]);
    assert!(stdout(&o).contains("0 series"), "{}", stdout(&o));
    let missing = format!("s3://no-such-bucket-{}/x", std::process::id());
    let o = parquetry(&["series", "--store", &missing, "up"]);
    let err = stderr(&o);
    assert!(!o.status.success() && err.trim().lines().count() == 1, "{err}");
}

#[test]
fn logs_ingest_export_and_sql() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let push = dir.path().join("push.json");
    std::fs::write(
        &push,
        r#"{"streams":[{"stream":{"app":"api"},"values":[["1767571200000000001","GET /x status=500 trace_id=abc"],["1767571200000000002","GET /y status=200"]]}]}"#,
    )
    .unwrap();
    let o = parquetry(&["ingest", "--store", &store, push.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("1 stream(s), 2 entries"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );

    let app = dir.path().join("app.log");
    std::fs::write(&app, "2026-01-05T00:00:01Z GC pause 12ms\nno time here\n").unwrap();
    let path = app.to_str().unwrap();
    let o = parquetry(&["ingest", "--store", &store, "--label", "app=worker", path]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("app.log:2:1: no timestamp"), "{}", stderr(&o));
    let o = parquetry(&[
        "ingest",
        "--store",
        &store,
        "--label",
        "app=worker",
        "--skip-invalid",
        path,
    ]);
    assert!(
        stdout(&o).contains("1 entries") && stdout(&o).contains("skipped 1"),
        "{}",
        stdout(&o)
    );
    let o = parquetry(&["ingest", "--store", &store, "--label", "bad-name=x", path]);
    assert!(stderr(&o).contains("not a valid label name"), "{}", stderr(&o));

    let o = parquetry(&["export", "--store", &store, "--signal", "logs", "{app=\"api\"}"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&o));
    assert!(
        lines[0].starts_with(r#"{"labels":{"app":"api"},"timestamp":"1767571200000000001""#),
        "{}",
        lines[0]
    );
    let o = parquetry(&[
        "sql",
        "--store",
        &store,
        "--format",
        "csv",
        "SELECT labels['app'] AS app, count(*) AS n FROM logs WHERE contains(line, 'status=') OR trace_id = 'abc' GROUP BY 1 ORDER BY 1",
    ]);
    assert_eq!(stdout(&o), "app,n\napi,2\n", "{}", stderr(&o));
    // The two commits of one day become one file; retention then drops the day.
    let o = parquetry(&["compact", "--store", &store, "--grace", "0s"]);
    assert!(
        stdout(&o).contains("2 segments and 2 files before, 1 segments and 1 files after"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let everything = "SELECT count(*) AS n FROM logs";
    let o = parquetry(&["sql", "--store", &store, "--format", "csv", everything]);
    assert_eq!(stdout(&o), "n\n3\n", "{}", stderr(&o));
    let o = parquetry(&[
        "retain",
        "--store",
        &store,
        "--before",
        "2026-01-06T00:00:00Z",
        "--grace",
        "0s",
    ]);
    assert!(
        stdout(&o).contains("1 days dropped"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = parquetry(&["sql", "--store", &store, "--format", "csv", everything]);
    assert_eq!(stdout(&o), "n\n0\n", "{}", stderr(&o));
    let o = parquetry(&["export", "--store", &store, "--signal", "profiles"]);
    assert!(stderr(&o).contains("unknown signal"), "{}", stderr(&o));
}

#[test]
fn the_demo_asks_metrics_and_logs_questions() {
    let o = parquetry(&[
        "demo",
        "--series",
        "100",
        "--duration",
        "30m",
        "--log-megabytes",
        "5",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("p95 request latency per job now"), "{out}");
    assert!(
        out.contains("Failed requests per service") && out.contains("| checkout |"),
        "{out}"
    );
    let request = out.split("Every line of request").nth(1).unwrap_or_default();
    assert!(request.contains(r#""msg":"request completed""#), "{out}");
}

#[test]
fn logql_answers_as_lokis_api_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let push = dir.path().join("push.json");
    let values = |app: &str| {
        (0..120)
            .map(|i| {
                let level = if i % 4 == 0 { "error" } else { "info" };
                format!(
                    r#"["{}","level={level} app={app} n={i}"]"#,
                    1_767_571_200_000_000_000i64 + i * 1_000_000_000
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    std::fs::write(
        &push,
        format!(
            r#"{{"streams":[{{"stream":{{"app":"api"}},"values":[{}]}},{{"stream":{{"app":"worker"}},"values":[{}]}}]}}"#,
            values("api"),
            values("worker")
        ),
    )
    .unwrap();
    let o = parquetry(&["ingest", "--store", &store, push.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let range = ["--start", "2026-01-05T00:00:00Z", "--end", "2026-01-05T00:02:00Z"];
    let logql = |extra: &[&str], query: &str| {
        let mut args = vec!["logql", "--store", &store];
        args.extend_from_slice(extra);
        args.push(query);
        parquetry(&args)
    };

    let o = logql(
        &[&range[..], &["--format", "json"]].concat(),
        r#"{app="api"} |= "error" | logfmt | drop n"#,
    );
    let body: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(body["status"], "success");
    assert_eq!(body["data"]["resultType"], "streams");
    let streams = body["data"]["result"].as_array().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["stream"]["level"], "error");
    let values = streams[0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 30);
    assert_eq!(values[0][0], "1767571316000000000");
    assert_eq!(values[0][1], "level=error app=api n=116");
    assert_eq!(body["data"]["stats"]["summary"]["totalEntriesReturned"], 30);

    let o = logql(
        &[
            &range[..],
            &["--format", "raw", "--limit", "3", "--direction", "forward"],
        ]
        .concat(),
        r#"{app=~".+"}"#,
    );
    assert_eq!(
        stdout(&o),
        "level=error app=api n=0\nlevel=error app=worker n=0\nlevel=info app=api n=1\n",
        "{}",
        stderr(&o)
    );

    let metric = r#"sum by (app) (count_over_time({app=~".+"} | logfmt | level="error" [1m]))"#;
    let o = logql(&["--time", "2026-01-05T00:01:00Z", "--format", "json"], metric);
    let body: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(body["data"]["resultType"], "vector");
    assert_eq!(
        body["data"]["result"][0]["value"],
        serde_json::json!([1767571260, "15"])
    );
    let o = logql(&[&range[..], &["--step", "1m"]].concat(), metric);
    assert!(stdout(&o).contains("2 series"), "{}{}", stdout(&o), stderr(&o));

    let o = logql(&[], r#"sum(count_over_time({app="api"}))"#);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("1:"), "{}", stderr(&o));
    let o = parquetry(&["logql", "fmt", r#"{app="api"}|="x""#]);
    assert_eq!(stdout(&o), "{app=\"api\"} |= \"x\"\n", "{}", stderr(&o));
}

/// One trace over two services: a server span, a client call under it and the database
/// call under that, which failed.
const TRACE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},"scopeSpans":[{"scope":{"name":"http"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"GET /cart","kind":2,"startTimeUnixNano":"1767571200000000000","endTimeUnixNano":"1767571200250000000","status":{"code":2,"message":"upstream failed"}},{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1111111111111111","parentSpanId":"00f067aa0ba902b7","name":"call cart","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1767571200010000000","endTimeUnixNano":"1767571200240000000"}]}]}]}
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"2222222222222222","parentSpanId":"1111111111111111","name":"SELECT cart","kind":3,"startTimeUnixNano":"1767571200020000000","endTimeUnixNano":"1767571200230000000","attributes":[{"key":"db.system","value":{"stringValue":"postgresql"}}],"status":{"code":"STATUS_CODE_ERROR","message":"timeout"}}]}]}]}
"#;

#[test]
fn spans_ingest_trace_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let spans = dir.path().join("spans.jsonl");
    std::fs::write(&spans, TRACE).unwrap();
    let o = parquetry(&["ingest", "--store", &store, spans.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("3 spans in 1 trace(s)"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let logs = dir.path().join("logs.jsonl");
    std::fs::write(
        &logs,
        r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1767571200229000000","body":{"stringValue":"query timed out"},"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"2222222222222222"}]}]}]}"#,
    )
    .unwrap();
    let o = parquetry(&["ingest", "--store", &store, logs.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    let id = "4BF92F3577B34DA6A3CE929D0E0E4736";
    let o = parquetry(&["trace", "--store", &store, "--logs", id]);
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

    let o = parquetry(&["trace", "--store", &store, "--format", "json", id]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["batches"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["batches"][1]["scopeSpans"][0]["spans"][0]["attributes"][0]["key"],
        "db.system"
    );

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
    let o = parquetry(&["trace", "--store", &other, "--format", "json", id]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap(),
        json
    );

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
    let o = parquetry(&["trace", "--store", &from_proto, "--format", "json", id]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap(),
        json
    );

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
