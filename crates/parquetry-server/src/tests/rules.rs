//! `/api/v1/rules` and `/api/v1/alerts` over a store with `--rules`: the state at the
//! newest sample, the filters, and a new state after a commit.

use super::server::{TestServer, ingest};
use crate::ServerConfig;
use parquetry::rules::{LoadOptions, RuleSet};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const RULES: &str = r#"
groups:
  - name: availability
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: ApiUp
        expr: up{job="api"} == 1
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} is up at {{ $value }}"
      - alert: ApiUpLong
        expr: up{job="api"} == 1
        for: 1h
      - alert: Never
        expr: up == 7
"#;

/// `up` of one instance, every 15 s over `[from_s, to_s]`.
fn up(dir: &Path, store: &Path, name: &str, value: u8, from_s: i64, to_s: i64) {
    let text: String = (from_s / 15..=to_s / 15)
        .map(|i| format!("up{{job=\"api\",instance=\"a\"}} {value} {}\n", i * 15_000))
        .collect();
    ingest(dir, store, name, &text);
}

fn server(store: &Path) -> TestServer {
    let rules = RuleSet::parse("availability.yml", RULES, LoadOptions::default()).unwrap();
    let config = ServerConfig {
        rules: Arc::new(rules),
        ..ServerConfig::default()
    };
    TestServer::start(store, config)
}

fn rule<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["data"]["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name} in {body}"))
}

#[test]
fn rules_and_alerts_show_the_state_at_the_newest_sample() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    up(dir.path(), &store, "up.prom", 1, 0, 600);
    let server = server(&store);

    let (status, body) = server.get("/api/v1/rules");
    assert_eq!(status, 200, "{body}");
    let group = &body["data"]["groups"][0];
    assert_eq!(group["name"], "availability");
    assert_eq!(group["file"], "availability.yml");
    assert_eq!(group["interval"], 30.0);
    assert_eq!(group["lastEvaluation"], "1970-01-01T00:10:00Z");
    assert_eq!(
        rule(&body, "job:up:sum"),
        &json!({"name": "job:up:sum", "query": "sum by (job) (up)", "health": "ok",
            "evaluationTime": 0.0, "lastEvaluation": "1970-01-01T00:10:00Z", "type": "recording"})
    );
    let firing = rule(&body, "ApiUp");
    assert_eq!(firing["state"], "firing");
    assert_eq!(firing["duration"], 300.0);
    assert_eq!(firing["labels"], json!({"severity": "page"}));
    assert_eq!(
        firing["annotations"],
        json!({"summary": "{{ $labels.instance }} is up at {{ $value }}"})
    );
    assert_eq!(
        firing["alerts"],
        json!([{"labels": {"alertname": "ApiUp", "instance": "a", "job": "api", "severity": "page"},
            "annotations": {"summary": "a is up at 1"}, "state": "firing",
            "activeAt": "1970-01-01T00:00:00Z", "value": "1e+00"}])
    );
    assert_eq!(rule(&body, "ApiUpLong")["state"], "pending");
    assert_eq!(rule(&body, "Never")["state"], "inactive");
    assert_eq!(rule(&body, "Never")["alerts"], json!([]));

    let (_, alerts) = server.get("/api/v1/alerts");
    let states: Vec<(&str, &str)> = alerts["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["labels"]["alertname"].as_str().unwrap(),
                a["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("ApiUp", "firing"), ("ApiUpLong", "pending")]);

    // The instance goes down in a later commit: the alerts resolve.
    up(dir.path(), &store, "down.prom", 0, 615, 900);
    let (_, body) = server.get("/api/v1/rules");
    assert_eq!(rule(&body, "ApiUp")["state"], "inactive");
    assert_eq!(
        body["data"]["groups"][0]["lastEvaluation"],
        "1970-01-01T00:15:00Z"
    );
    let (_, alerts) = server.get("/api/v1/alerts");
    assert_eq!(alerts["data"], json!({"alerts": []}));
}

#[test]
fn rules_are_filtered_as_prometheus_filters_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    up(dir.path(), &store, "up.prom", 1, 0, 600);
    let server = server(&store);
    let names = |path: &str| -> Vec<String> {
        let (status, body) = server.get(path);
        assert_eq!(status, 200, "{body}");
        body["data"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_array().unwrap().iter())
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("/api/v1/rules?type=record"), ["job:up:sum"]);
    assert_eq!(
        names("/api/v1/rules?type=alert&rule_name[]=Never&rule_name[]=ApiUp"),
        ["ApiUp", "Never"]
    );
    assert_eq!(names("/api/v1/rules?match[]={severity=%22page%22}"), ["ApiUp"]);
    assert!(names("/api/v1/rules?rule_group[]=other").is_empty());
    assert!(names("/api/v1/rules?file[]=other.yml").is_empty());
    let (_, body) = server.get("/api/v1/rules?exclude_alerts=true&rule_name[]=ApiUp");
    assert_eq!(rule(&body, "ApiUp").get("alerts"), None);
    let (status, body) = server.get("/api/v1/rules?type=bogus");
    assert_eq!(status, 400);
    assert_eq!(body["error"], "not supported value \"bogus\"");
}

#[test]
fn a_server_without_rules_lists_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    up(dir.path(), &store, "up.prom", 1, 0, 60);
    let server = TestServer::start(&store, ServerConfig::default());
    let (_, body) = server.get("/api/v1/rules");
    assert_eq!(body, json!({"status": "success", "data": {"groups": []}}));
    let (_, body) = server.get("/api/v1/alerts");
    assert_eq!(body, json!({"status": "success", "data": {"alerts": []}}));
}
