//! Metrics: ingest, series, export, PromQL, rules, maintenance and bad input.

use super::{GOOD, parquetry, stderr, stdout, store_with_good_data};
use std::process::Command;

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
