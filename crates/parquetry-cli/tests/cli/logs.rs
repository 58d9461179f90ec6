//! Logs: ingest, export, SQL, the demo and LogQL.

use super::{parquetry, stderr, stdout};

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
fn the_demo_asks_metrics_logs_and_traces_questions() {
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
    // A failed payment found by TraceQL, drawn with the log lines of its spans.
    let trace = out.split("Failed payment spans").nth(1).unwrap_or_default();
    assert!(trace.contains("root service"), "{out}");
    let waterfall = trace
        .split("The newest one with its log lines")
        .nth(1)
        .unwrap_or_default();
    assert!(
        waterfall.contains("[payment] server") && waterfall.contains(r#""msg":"request failed""#),
        "{out}"
    );
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
