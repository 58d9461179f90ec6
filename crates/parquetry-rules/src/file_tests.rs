use super::*;

fn load(text: &str) -> Result<RuleSet, RuleFileErrors> {
    RuleSet::parse("r.yml", text, LoadOptions::default())
}

#[test]
fn reads_recording_and_alerting_rules() {
    let set = load(
        "groups:\n  - name: g\n    interval: 30s\n    query_offset: 1m\n    limit: 10\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n        labels: {team: a}\n      - alert: Down\n        expr: up == 0\n        for: 5m\n        keep_firing_for: 10m\n        labels: {severity: page}\n        annotations:\n          summary: '{{ $labels.instance }} down'\n",
    )
    .unwrap();
    let g = &set.groups[0];
    assert_eq!(
        (g.interval_ms, g.query_offset_ms, g.limit),
        (Some(30_000), Some(60_000), 10)
    );
    assert_eq!(g.rules[0].kind, RuleKind::Record("job:up:sum".into()));
    assert_eq!(g.rules[0].line, 7);
    let RuleKind::Alert {
        name,
        hold_ms,
        keep_firing_for_ms,
        annotations,
    } = &g.rules[1].kind
    else {
        panic!("not an alert")
    };
    assert_eq!(
        (name.as_str(), *hold_ms, *keep_firing_for_ms),
        ("Down", 300_000, 600_000)
    );
    assert_eq!(annotations[0].0, "summary");
    assert_eq!(set.rule_count(), 2);
}

#[test]
fn expression_errors_name_line_and_column() {
    let e =
        load("groups:\n  - name: bad\n    rules:\n      - record: x\n        expr: 'test +'\n").unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("r.yml:5:15: group \"bad\", rule 1, \"x\": could not parse expression: 1:7:"),
        "{text}"
    );
}

#[test]
fn structural_errors_are_all_reported() {
    let e = load(
        "groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n        expr: up\n      - record: c\n        expr: up\n        for: 1m\n        annotations: {x: y}\n  - name: g\n    rules: []\n",
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("only one of 'record' and 'alert' must be set"),
        "{text}"
    );
    assert!(text.contains("invalid field 'for' in recording rule"), "{text}");
    assert!(
        text.contains("invalid field 'annotations' in recording rule"),
        "{text}"
    );
    assert!(
        text.contains("groupname: \"g\" is repeated in the same file"),
        "{text}"
    );
}

#[test]
fn unknown_fields_are_errors_unless_ignored() {
    let text = "groups:\n  - name: g\n    owner: me\n    rules:\n      - record: a\n        expr: '1'\n";
    assert!(
        load(text)
            .unwrap_err()
            .to_string()
            .contains("field owner not found")
    );
    let lenient = LoadOptions {
        ignore_unknown_fields: true,
        ..LoadOptions::default()
    };
    assert!(RuleSet::parse("r.yml", text, lenient).is_ok());
}

#[test]
fn yaml_errors_and_bad_templates() {
    let e = load("groups:\n  - name: [\n").unwrap_err();
    assert!(e.0[0].line > 0, "{e}");
    let e = load("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: '1'\n        annotations: {s: '{{ if }}'}\n").unwrap_err();
    assert!(e.to_string().contains("template: __alert_A"), "{e}");
    let ok = load("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 1\n").unwrap();
    assert_eq!(ok.groups[0].rules[0].expr_text, "1");
}
