use super::*;
use crate::file::LoadOptions;
use parquetry_model::value::is_stale_nan;
use parquetry_promql::series_notation::{Slot, expand, series_labels};

const M: i64 = 60_000;

fn store(series: &[(&str, &str)]) -> MemoryStore {
    let mut s = MemoryStore::new();
    for (desc, values) in series {
        let labels = series_labels(desc).unwrap();
        for (i, slot) in expand(values).unwrap().into_iter().enumerate() {
            if let Slot::Value(v) = slot {
                s.append(&labels, i as i64 * M, v);
            }
        }
    }
    s
}

fn rules(text: &str) -> RuleSet {
    RuleSet::parse("t.yml", text, LoadOptions::default()).unwrap()
}

fn alert_rules(for_: &str, keep: &str) -> RuleSet {
    rules(&format!(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 0\n        for: {for_}\n        keep_firing_for: {keep}\n        annotations:\n          v: 'value {{{{ $value }}}}'\n"
    ))
}

/// `(active_at, fired_at, resolved_at)` in minutes.
fn timeline(bt: &Backtest) -> Vec<(i64, Option<i64>, Option<i64>)> {
    bt.episodes
        .iter()
        .map(|e| {
            (
                e.active_at / M,
                e.fired_at.map(|t| t / M),
                e.resolved_at.map(|t| t / M),
            )
        })
        .collect()
}

fn run(set: &RuleSet, base: &MemoryStore, end_min: i64) -> Backtest {
    let range = backtest(set, base, &BacktestOptions::new(0, end_min * M));
    let mut opts = BacktestOptions::new(0, end_min * M);
    opts.force_stepwise = true;
    let stepwise = backtest(set, base, &opts);
    assert_eq!(timeline(&range), timeline(&stepwise), "strategies disagree");
    assert_eq!(range.statuses, stepwise.statuses, "strategies disagree");
    assert_eq!(
        dump(&range.outputs),
        dump(&stepwise.outputs),
        "strategies disagree"
    );
    range
}

fn dump(m: &MemoryStore) -> Vec<String> {
    let mut out: Vec<String> = m
        .series()
        .iter()
        .map(|s| {
            let points: Vec<String> = s
                .timestamps
                .iter()
                .zip(&s.values)
                .map(|(t, v)| {
                    if is_stale_nan(*v) {
                        format!("{}:stale", t / M)
                    } else {
                        format!("{}:{v}", t / M)
                    }
                })
                .collect();
            format!("{} {}", s.labels, points.join(" "))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn for_holds_pending_until_the_duration_passes() {
    let bt = run(&alert_rules("2m", "0s"), &store(&[("x", "1 1 1 1 0 0 1 1")]), 7);
    assert_eq!(bt.strategy, Strategy::Range);
    assert_eq!(timeline(&bt), [(0, Some(2), Some(4)), (6, None, None)]);
    assert_eq!(
        bt.episodes[0].annotations,
        [("v".to_string(), "value 1".to_string())]
    );
    assert_eq!(
        dump(&bt.outputs),
        [
            r#"ALERTS_FOR_STATE{alertname="A"} 0:0 1:0 2:0 3:0 4:stale 6:360 7:360"#,
            r#"ALERTS{alertname="A", alertstate="firing"} 2:1 3:1 4:stale"#,
            r#"ALERTS{alertname="A", alertstate="pending"} 0:1 1:1 2:stale 6:1 7:1"#,
        ]
    );
}

#[test]
fn statuses_give_each_rule_its_alerts_after_the_last_evaluation() {
    let bt = run(
        &alert_rules("2m", "0s"),
        &store(&[("x{i=\"a\"}", "1 1 1 1"), ("x{i=\"b\"}", "0 0 1 3")]),
        3,
    );
    let [status] = bt.statuses.as_slice() else {
        panic!("one rule, one status: {:?}", bt.statuses)
    };
    assert_eq!(status.last_evaluation_ms, Some(3 * M));
    assert_eq!(status.last_error, None);
    let alerts: Vec<(String, bool, i64, f64)> = status
        .alerts
        .iter()
        .map(|a| (a.labels.to_string(), a.firing, a.active_at / M, a.value))
        .collect();
    assert_eq!(
        alerts,
        [
            (r#"{alertname="A", i="a"}"#.to_string(), true, 0, 1.0),
            (r#"{alertname="A", i="b"}"#.to_string(), false, 2, 3.0),
        ]
    );
    assert_eq!(
        status.alerts[1].annotations,
        [("v".to_string(), "value 3".to_string())]
    );
}

#[test]
fn a_failed_last_evaluation_is_the_rules_last_error() {
    let set = rules(
        "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n        labels:\n          i: same\n",
    );
    let bt = run(&set, &store(&[("x{i=\"a\"}", "1 1"), ("x{i=\"b\"}", "_ 1")]), 1);
    let status = &bt.statuses[0];
    assert_eq!(status.last_evaluation_ms, Some(M));
    assert_eq!(
        status.last_error.as_deref(),
        Some("vector contains metrics with the same labelset after applying rule labels")
    );
}

#[test]
fn keep_firing_for_bridges_gaps_and_restarts_on_return() {
    let bt = run(&alert_rules("0s", "2m"), &store(&[("x", "1 0 0 0 1 0")]), 5);
    assert_eq!(timeline(&bt), [(0, Some(0), Some(3)), (4, Some(4), None)]);
    // A return within keep_firing_for resets the countdown.
    let bt = run(&alert_rules("0s", "2m"), &store(&[("x", "1 0 1 0 0 0")]), 5);
    assert_eq!(timeline(&bt), [(0, Some(0), Some(5))]);
}

#[test]
fn flapping_pending_alerts_restart_their_for() {
    let bt = run(&alert_rules("2m", "0s"), &store(&[("x", "1 1 0 1 1 0 1 1 1")]), 8);
    assert_eq!(
        timeline(&bt),
        [(0, None, Some(2)), (3, None, Some(5)), (6, Some(8), None)]
    );
}

#[test]
fn gaps_end_after_lookback_and_stale_markers_end_at_once() {
    // With a 5m lookback the sample at 0 is seen until 4m; the alert resolves at 5m.
    let bt = run(&alert_rules("3m", "0s"), &store(&[("x", "1 _ _ _ _ _ _ 1")]), 7);
    assert_eq!(timeline(&bt), [(0, Some(3), Some(5)), (7, None, None)]);
    let bt = run(&alert_rules("0s", "0s"), &store(&[("x", "1 1 stale 1")]), 3);
    assert_eq!(timeline(&bt), [(0, Some(0), Some(2)), (3, Some(3), None)]);
}

#[test]
fn recording_rules_feed_later_rules_and_mark_vanished_series_stale() {
    let set = rules(
        "groups:\n  - name: r\n    rules:\n      - record: job:x:sum\n        expr: sum by (job) (x)\n        labels: {team: a}\n  - name: a\n    rules:\n      - alert: Big\n        expr: job:x:sum > 2\n",
    );
    let base = store(&[
        (r#"x{job="a", i="1"}"#, "1 2 3 stale"),
        (r#"x{job="a", i="2"}"#, "1 1 1 stale"),
    ]);
    let bt = run(&set, &base, 4);
    assert_eq!(bt.strategy, Strategy::Range);
    assert_eq!(
        dump(&bt.outputs)[2],
        r#"job:x:sum{job="a", team="a"} 0:2 1:3 2:4 3:stale"#
    );
    assert_eq!(timeline(&bt), [(1, Some(1), Some(3))]);
}

#[test]
fn reading_a_later_rule_forces_stepwise_evaluation() {
    let set = rules(
        "groups:\n  - name: g\n    rules:\n      - record: b\n        expr: a + 1\n      - record: a\n        expr: x\n",
    );
    let base = store(&[("x", "1 2 3")]);
    let bt = run(&set, &base, 2);
    assert_eq!(bt.strategy, Strategy::Stepwise);
    // `b` at t sees `a` from the evaluation before t.
    assert_eq!(dump(&bt.outputs)[1], "b 1:2 2:3");
}

#[test]
fn evaluation_errors_are_reported_per_step() {
    let set = rules("groups:\n  - name: g\n    rules:\n      - record: j\n        expr: l + on(k) r\n");
    let base = store(&[
        (r#"l{k="1"}"#, "1 1 1"),
        (r#"r{k="1", z="1"}"#, "1 _ _"),
        (r#"r{k="1", z="2"}"#, "1 _ _"),
    ]);
    let bt = run(&set, &base, 2);
    assert_eq!(bt.errors.len(), 3);
    assert!(bt.errors[0].message.contains("many"), "{:?}", bt.errors[0]);
}

#[test]
fn query_offset_shifts_what_is_read_and_when_it_is_written() {
    let set =
        rules("groups:\n  - name: g\n    query_offset: 1m\n    rules:\n      - record: y\n        expr: x\n");
    let bt = run(&set, &store(&[("x", "1 2 3")]), 2);
    // At 0 the query reads -1m, before any data; later samples land a minute early.
    assert_eq!(dump(&bt.outputs), ["y 0:1 1:2"]);
}

/// An `app=api` stream of ten minutes: an error line every 10 s during minutes 3 to 6,
/// info lines at every other second.
fn api_logs() -> parquetry_logql::eval::source::MemorySource {
    use parquetry_logs::{LogEntry, StreamEntries};
    let mut stream = StreamEntries::new(Labels::from_pairs([("app", "api")]));
    stream.entries = (0..60 * 10)
        .map(|i: i64| {
            let t = i * 1_000_000_000;
            let error = (180..360).contains(&i) && i % 10 == 0;
            LogEntry::new(t, if error { "level=error" } else { "level=info" })
        })
        .collect();
    parquetry_logql::eval::source::MemorySource {
        streams: vec![stream],
    }
}

/// A Loki ruler file's rules, read with LogQL expressions.
fn loki_rule_set(text: &str) -> RuleSet {
    let options = LoadOptions {
        language: crate::file::Language::Logql,
        ..LoadOptions::default()
    };
    RuleSet::parse("loki.yml", text, options).unwrap()
}

#[test]
fn loki_rule_templates_query_the_logs() {
    let text = r#"groups:
  - name: loki
    rules:
      - alert: ErrorsLogged
        expr: sum by (app) (count_over_time({app="api"} |= "error" [1m])) > 3
        for: 1m
        annotations:
          info: '{{ with query `sum(count_over_time({app="api"} |= "info" [1m]))` }}{{ . | first | value }}{{ end }} info lines'
"#;
    let set = loki_rule_set(text);
    let result = backtest_with_logs(
        &set,
        &MemoryStore::new(),
        &api_logs(),
        &BacktestOptions::new(0, 9 * M),
    );
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    // Firing from minute 5: its last minute holds 6 error lines and 54 info lines.
    assert_eq!(timeline(&result), [(4, Some(5), Some(7))]);
    let info = &result.episodes[0].annotations[0];
    assert_eq!((info.0.as_str(), info.1.as_str()), ("info", "54 info lines"));
}

#[test]
fn loki_rules_read_the_logs() {
    let logs = api_logs();
    let text = r#"groups:
  - name: loki
    rules:
      - record: app:errors:rate1m
        expr: sum by (app) (rate({app="api"} | logfmt | level="error" [1m]))
      - alert: ErrorsLogged
        expr: sum by (app) (count_over_time({app="api"} |= "error" [1m])) > 3
        for: 1m
        annotations:
          summary: '{{ $labels.app }} logged {{ $value }} errors'
"#;
    let set = loki_rule_set(text);
    assert!(RuleSet::parse("loki.yml", text, LoadOptions::default()).is_err());
    let opts = BacktestOptions::new(0, 9 * M);
    let result = backtest_with_logs(&set, &MemoryStore::new(), &logs, &opts);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert_eq!(result.strategy, Strategy::Range);
    assert_eq!(timeline(&result), [(4, Some(5), Some(7))]);
    let (name, summary) = &result.episodes[0].annotations[0];
    assert!(
        name == "summary" && summary.starts_with("api logged "),
        "{summary}"
    );
    let recorded = dump(&result.outputs);
    assert!(
        recorded.iter().any(|l| l.contains("app:errors:rate1m")),
        "{recorded:?}"
    );
    let without_logs = backtest(&set, &MemoryStore::new(), &opts);
    assert!(without_logs.errors[0].message.contains("reads logs"));
}
